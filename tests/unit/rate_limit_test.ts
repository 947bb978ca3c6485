/** The per-caller token bucket, driven by an injected clock. */
import { assertEquals, assertRejects } from "../assert.ts";
import { createRateLimiter } from "../../supabase/functions/_shared/rate_limit.ts";
import { GatewayError } from "../../supabase/functions/_shared/errors.ts";

Deno.test("rate limit: a burst, then one request per interval, per key", async () => {
  let clock = 0;
  const limit = createRateLimiter({ perMinute: 60, burst: 3, now: () => clock });
  for (let i = 0; i < 3; i++) limit("a");
  const err = await assertRejects(() => limit("a"), (e) => e instanceof GatewayError);
  assertEquals((err as GatewayError).status, 429);
  assertEquals((err as GatewayError).details?.retry_after, 1);
  limit("b"); // another caller is not affected
  clock += 1_000;
  limit("a"); // one token back after a second
  await assertRejects(() => limit("a"));
});

Deno.test("rate limit: 0 turns it off", () => {
  const limit = createRateLimiter({ perMinute: 0 });
  for (let i = 0; i < 10_000; i++) limit("a");
});
