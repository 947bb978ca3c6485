/**
 * A gateway killed mid-command (SIGKILL while the command runs, its ledger claim taken): the
 * platform's redeliveries to another instance are refused as "in progress" only until the claim's
 * lease runs out, then the update runs once. The lease is sized to what a command may take.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { LEASE_SECONDS } from "../../supabase/functions/_shared/ledger.ts";
import { commands } from "../../supabase/functions/gateway/commands/mod.ts";
import {
  integration,
  linkCodeFor,
  linkTelegram,
  newUser,
  postUpdate,
  randomExternalId,
  sentTexts,
  startGateway,
  taskCount,
  telegramMessage,
  tokenFor,
} from "../fixtures.ts";
import { REPO_ROOT } from "../../dev/paths.ts";
import { spawnGateway } from "../support/gateway_process.ts";
import { slowAdd } from "../support/slow_command.ts";

Deno.test(
  "a gateway killed mid-command: the update runs once after the lease",
  integration,
  async () => {
    const survivor = await startGateway({ commands: [...commands, slowAdd] });
    const doomed = await spawnGateway(
      { ...survivor.env, SLOW_COMMAND_MS: "60000" },
      `${REPO_ROOT}/tests/support/slow_gateway.ts`,
    );
    const user = await newUser();
    const tg = randomExternalId();
    try {
      assertMatch(
        await linkTelegram(survivor, tg, await linkCodeFor(await tokenFor(user))),
        /Linked/,
      );
      const update = telegramMessage({ fromId: tg, text: "/slow_add survives a crash" });
      const first = postUpdate(doomed, update).catch(() => null); // never answered
      await new Promise((r) => setTimeout(r, 1_000)); // claimed, the command is sleeping
      doomed.kill("SIGKILL");
      await first;
      const killedAt = performance.now();
      let status = 0;
      let attempts = 0;
      // Telegram redelivers; every ~0.5 s here.
      while (performance.now() - killedAt < (LEASE_SECONDS + 5) * 1000) {
        attempts++;
        status = (await postUpdate(survivor, update)).status;
        if (status === 200) break;
        assertEquals(status, 503, "in progress elsewhere: redeliver later");
        await new Promise((r) => setTimeout(r, 500));
      }
      const recoveredMs = performance.now() - killedAt;
      console.log(`recovered ${Math.round(recoveredMs)} ms after the kill, ${attempts} attempts`);
      assertEquals(status, 200);
      assert(recoveredMs <= (LEASE_SECONDS + 1) * 1000, `took ${recoveredMs} ms`);
      assertEquals(await taskCount(user.id), 1);
      assertMatch(sentTexts(survivor, tg).at(-1)!, /^Added #\d+: survives a crash$/);
    } finally {
      await doomed.stop();
      await survivor.close();
    }
  },
);
