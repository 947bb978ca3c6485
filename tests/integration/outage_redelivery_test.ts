/**
 * Outages as platforms and clients meet them, each on a PostgREST of its own: Telegram
 * redelivering updates through an outage under the default rate limit (nothing lost, nothing
 * doubled), and a frozen PostgREST (SIGSTOP past the upstream timeout), where a write may land
 * after the gateway gave up (504 `upstream_timeout`: retry only with the same Idempotency-Key).
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import {
  integration,
  linkCodeFor,
  linkTelegram,
  newUser,
  ownPostgrest,
  postUpdate,
  psql,
  randomExternalId,
  runCommand,
  sentTexts,
  startGateway,
  taskCount,
  telegramMessage,
  tokenFor,
} from "../fixtures.ts";

Deno.test("Telegram redelivery through an outage, default rate limit", integration, async () => {
  const rest = await ownPostgrest("outage-redelivery");
  const gw = await startGateway({ restUrl: rest.url }); // GATEWAY_RATE_LIMIT_PER_MINUTE unset
  const user = await newUser();
  const tg = randomExternalId();
  try {
    assertMatch(await linkTelegram(gw, tg, await linkCodeFor(await tokenFor(user))), /Linked!/);
    const updates = Array.from(
      { length: 8 },
      (_, i) => telegramMessage({ fromId: tg, text: `/add outage task ${i}` }),
    );
    await rest.stop();
    // Telegram retries each undelivered update; ten rounds spend 80 attempts, far past the burst.
    for (let round = 0; round < 10; round++) {
      for (const update of updates) {
        assertEquals((await postUpdate(gw, update)).status, 503, "not done: redeliver");
      }
    }
    await rest.start();
    for (const update of updates) assertEquals((await postUpdate(gw, update)).status, 200);
    assertEquals(await taskCount(user.id), 8, "every update applied once");
    const texts = sentTexts(gw, tg);
    assert(!texts.some((t) => /Too many/.test(t)), `refused: ${texts.join(" | ")}`);
    await gw.handler.core.drain();
    for (const update of updates) assertEquals((await postUpdate(gw, update)).status, 200);
    assertEquals(await taskCount(user.id), 8, "redeliveries after success change nothing");
  } finally {
    await gw.close();
    await rest.stop();
  }
});

Deno.test(
  "PostgREST frozen past the timeout: 504, then the same key is safe",
  integration,
  async () => {
    const rest = await ownPostgrest("outage-frozen");
    const gw = await startGateway({ restUrl: rest.url });
    const user = await newUser();
    const token = await tokenFor(user);
    try {
      assertEquals((await runCommand(gw, token, "tasks")).status, 200); // warm connections
      rest.freeze();
      const started = performance.now();
      const [unkeyed, keyed, read] = await Promise.all([
        runCommand(gw, token, "add", { title: "frozen unkeyed" }),
        runCommand(gw, token, "add", { title: "frozen keyed" }, { "idempotency-key": "frozen-1" }),
        runCommand(gw, token, "tasks"),
      ]);
      const waited = performance.now() - started;
      rest.thaw();
      assert(waited < 8_000, `gave up after ${Math.round(waited)} ms`);
      // The write reached PostgREST: its outcome is unknown.
      assertEquals(unkeyed.status, 504);
      const error = unkeyed.body.error as { code: string; message: string };
      assertEquals(error.code, "upstream_timeout");
      assertMatch(error.message, /Idempotency-Key/);
      // The keyed call never ran its command (its ledger claim timed out): not done, retry.
      assertEquals(keyed.status, 503);
      assertEquals(read.status, 503, "a read has no effects: safe to retry");
      // Once PostgREST resumes, the unkeyed write lands: a blind retry would have doubled it.
      await waitFor(async () => Number(await psql(titleCount(user.id, "frozen unkeyed"))) === 1);
      // Retrying with the same key (past the claim's lease if it landed) applies it exactly once.
      let retried;
      const deadline = Date.now() + 20_000;
      do {
        retried = await runCommand(gw, token, "add", { title: "frozen keyed" }, {
          "idempotency-key": "frozen-1",
        });
        if (retried.status === 409) await new Promise((r) => setTimeout(r, 500));
      } while (retried.status === 409 && Date.now() < deadline);
      assertEquals(retried.status, 200);
      const again = await runCommand(gw, token, "add", { title: "frozen keyed" }, {
        "idempotency-key": "frozen-1",
      });
      assertEquals(again.headers.get("idempotent-replayed"), "true");
      assertEquals(Number(await psql(titleCount(user.id, "frozen keyed"))), 1);
    } finally {
      await gw.close();
      await rest.stop();
    }
  },
);

function titleCount(userId: string, title: string): string {
  return `select count(*) from public.tasks where user_id = '${userId}' and title = '${title}'`;
}

async function waitFor(check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 100));
  }
}
