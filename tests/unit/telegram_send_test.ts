/**
 * The Telegram sender's bound on one Bot API call: a Telegram that accepts the request and never
 * answers fails the send with a 503 (the update is redelivered) after the call timeout, instead of
 * holding the delivery and its ledger claim for grammY's default 500 s.
 */
import { assert, assertEquals, assertRejects } from "../assert.ts";
import { createSender } from "../../adapters/telegram/send.ts";
import { GatewayError } from "../../supabase/functions/_shared/errors.ts";
import { silentLogger } from "../../supabase/functions/_shared/log.ts";

const config = {
  token: "7000000001:TEST_" + "t".repeat(30),
  apiRoot: "http://127.0.0.1:9",
};

Deno.test("a Bot API call that never answers fails the send after the timeout", async () => {
  let aborted = 0;
  // Takes the request and never answers, until the caller gives up.
  const hanging: typeof fetch = (_input, init) =>
    new Promise((_resolve, reject) => {
      init?.signal?.addEventListener("abort", () => {
        aborted++;
        reject(init.signal!.reason);
      });
    });
  const sender = createSender(
    { fetch: hanging, sleep: (ms) => new Promise((r) => setTimeout(r, ms)), log: silentLogger },
    config,
    { timeoutSeconds: 1 },
  );
  const started = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hung = new Promise<"hung">((r) => timer = setTimeout(() => r("hung"), 5_000));
  const err = await assertRejects(() =>
    Promise.race([sender.send({ chatId: 1, private: true, messageId: 1 }, "hello"), hung])
      .then((won) => {
        if (won === "hung") throw new Error("the send was still waiting after 5 s");
      })
  );
  clearTimeout(timer);
  const waited = performance.now() - started;
  assert(err instanceof GatewayError, String(err));
  assertEquals(err.status, 503);
  assertEquals(aborted, 1, "the call was abandoned");
  assert(waited >= 900 && waited < 3_000, `gave up after ${Math.round(waited)} ms`);
});
