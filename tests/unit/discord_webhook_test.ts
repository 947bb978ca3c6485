/**
 * Deferred Discord answers against a Discord that takes the request and never answers: each
 * attempt is abandoned after the call timeout and the edit gives up after its attempts, instead of
 * holding the deferred answer (and the gateway's drain) forever.
 */
import { assert, assertEquals } from "../assert.ts";
import { editOriginal, MAX_ATTEMPTS } from "../../adapters/discord/webhook.ts";
import { createLogger } from "../../supabase/functions/_shared/log.ts";

Deno.test("an edit Discord never answers is abandoned per attempt, then given up", async () => {
  let calls = 0;
  let aborted = 0;
  const hanging: typeof fetch = (_input, init) => {
    calls++;
    return new Promise((_resolve, reject) => {
      init?.signal?.addEventListener("abort", () => {
        aborted++;
        reject(init.signal!.reason);
      });
    });
  };
  const lines: string[] = [];
  const core = {
    fetch: hanging,
    sleep: () => Promise.resolve(),
    log: createLogger((l) => lines.push(l)),
  };
  const target = {
    apiBase: "http://127.0.0.1:9/api/v10",
    applicationId: "1",
    token: "secret-token",
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hung = new Promise<"hung">((r) => timer = setTimeout(() => r("hung"), 5_000));
  const result = await Promise.race([
    editOriginal(core, target, { content: "hi", allowed_mentions: { parse: [] } }, 200),
    hung,
  ]);
  clearTimeout(timer);
  assertEquals(result, false, "given up, not still waiting");
  assertEquals(calls, MAX_ATTEMPTS);
  assertEquals(aborted, MAX_ATTEMPTS, "every attempt was abandoned");
  assert(lines.some((l) => l.includes("discord edit failed")));
  assert(!lines.some((l) => l.includes("secret-token")), "the interaction token is not logged");
});
