/**
 * The ledger's lease against what one Telegram delivery may really take (found by an outside
 * review): the gateway waits out Telegram's 429 `retry_after` (up to 10 s per answer) while it
 * holds the claim, so a delivery could outlive its 12 s lease, and a redelivery reaching the
 * other instance claimed the update, ran it a second time, and both instances replied. A running
 * delivery now renews its lease; the SQL side (a stale holder cannot complete or free a claim
 * taken over since) is in ledger_sql_test.ts.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import {
  integration,
  linkCodeFor,
  linkTelegram,
  newUser,
  postUpdate,
  psql,
  randomExternalId,
  startGateway,
  taskCount,
  telegramMessage,
  type TestGateway,
  tokenFor,
} from "../fixtures.ts";
import { LEASE_SECONDS, RENEW_MS } from "../../supabase/functions/_shared/ledger.ts";
import { commands } from "../../supabase/functions/gateway/commands/mod.ts";
import { addAfter } from "../support/slow_command.ts";

/** Replies actually delivered to `chatId` (Telegram answered 200). */
function delivered(gw: TestGateway, chatId: string): string[] {
  return gw.telegram.calls("sendMessage")
    .filter((c) => c.status === 200 && String(c.params.chat_id) === chatId)
    .map((c) => String(c.params.text));
}

Deno.test(
  "a delivery still waiting out Telegram's 429s is not run again by the other instance",
  integration,
  async () => {
    const a = await startGateway();
    const b = await startGateway();
    const user = await newUser();
    const tg = randomExternalId();
    try {
      assertMatch(await linkTelegram(a, tg, await linkCodeFor(await tokenFor(user))), /Linked/);
      const before = delivered(a, tg).length;
      // Telegram asks the first instance to slow down twice (10 s each, within what it honours).
      a.telegram.failNext("sendMessage", { status: 429, retryAfter: 10 }, 2);
      const update = telegramMessage({ fromId: tg, text: "/add held past the lease" });
      const started = performance.now();
      const first = postUpdate(a, update);
      // The first instance has run the command and is waiting to send its reply.
      await a.telegram.waitFor((c) => c.method === "sendMessage" && c.status === 429, 5_000);
      const wait = (LEASE_SECONDS + 1) * 1000 - (performance.now() - started);
      await new Promise((r) => setTimeout(r, Math.max(0, wait)));
      // Still running on A: the README's failure model says 503, redeliver later.
      const repeat = await postUpdate(b, update);
      const firstStatus = (await first).status;
      await a.handler.core.drain();
      await b.handler.core.drain();
      const replies = [...delivered(a, tg).slice(before), ...delivered(b, tg)];
      assertEquals(firstStatus, 200, "the first instance answered in the end");
      assertEquals(await taskCount(user.id), 1, "one row (the upsert hides the second run)");
      // Still running on A: 503 for the repeat (README failure model), and one reply.
      assertEquals(
        { repeat: repeat.status, replies },
        { repeat: 503, replies: [replies[0]] },
        "a repeat while the first instance still runs the update must be held",
      );
      // Once the first instance has finished, a redelivery anywhere is answered silently.
      assertEquals((await postUpdate(b, update)).status, 200);
      assertEquals(delivered(b, tg).length, 0, "nothing sent again");
      assertEquals(await taskCount(user.id), 1);
    } finally {
      await a.close();
      await b.close();
    }
  },
);

Deno.test(
  "an instance that lost its claim says so and does not complete the new holder's",
  integration,
  async () => {
    // The lease ran out while this instance could not renew it, and another instance took the
    // update over (here: the row's attempt moved on). The first run, finishing late, must leave
    // the row to the new holder.
    let open!: () => void;
    const gate = new Promise<void>((r) => open = r);
    let started = false;
    const held = addAfter("held-add", "Add a task once the test lets it (tests)", () => {
      started = true;
      return gate;
    });
    const gw = await startGateway({ commands: [...commands, held] });
    const user = await newUser();
    const tg = randomExternalId();
    try {
      assertMatch(await linkTelegram(gw, tg, await linkCodeFor(await tokenFor(user))), /Linked/);
      const update = telegramMessage({ fromId: tg, text: "/held_add taken over" });
      const where = `where key like 'tg:%:${update.update_id}'`;
      const row = `gateway_private.deliveries ${where}`;
      const first = postUpdate(gw, update);
      const deadline = Date.now() + 5_000;
      while (!started || (await psql(`select count(*) from ${row}`)) !== "1") {
        if (Date.now() > deadline) throw new Error("the delivery never started");
        await new Promise((r) => setTimeout(r, 20));
      }
      await psql(`update gateway_private.deliveries set attempts = attempts + 1 ${where}`);
      await new Promise((r) => setTimeout(r, RENEW_MS + 500));
      assert(
        gw.logs.some((l) => l.includes("delivery lease lost")),
        "the renewal found the claim gone and logged it",
      );
      open();
      assertEquals((await first).status, 200);
      await gw.handler.core.drain();
      assertEquals(await psql(`select state || ' ' || attempts from ${row}`), "pending 2");
    } finally {
      open();
      await gw.close();
    }
  },
);
