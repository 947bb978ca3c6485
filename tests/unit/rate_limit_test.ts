/** The per-caller token bucket, driven by an injected clock. */
import { assert, assertEquals, assertThrows } from "../assert.ts";
import { createRateLimiter } from "../../supabase/functions/_shared/rate_limit.ts";
import { GatewayError } from "../../supabase/functions/_shared/errors.ts";

Deno.test("rate limit: a burst, then one request per interval, per key", () => {
  let clock = 0;
  const limit = createRateLimiter({ perMinute: 60, burst: 3, now: () => clock });
  for (let i = 0; i < 3; i++) limit("a");
  const err = assertThrows(() => limit("a"), GatewayError);
  assertEquals(err.status, 429);
  assertEquals(err.details?.retry_after, 1);
  assertEquals(err.details?.repeated, false);
  const again = assertThrows(() => limit("a"), GatewayError);
  assertEquals(again.details?.repeated, true, "the second refusal in a window is a repeat");
  limit("b"); // another caller is not affected
  clock += 1_000;
  limit("a"); // one token back after a second
  assertThrows(() => limit("a"));
});

Deno.test("rate limit: a refunded ticket gives its token back, once", () => {
  const limit = createRateLimiter({ perMinute: 60, burst: 2, now: () => 0 });
  const first = limit("a");
  limit("a");
  assertThrows(() => limit("a"));
  first.refund();
  first.refund(); // a second refund adds nothing
  const third = limit("a");
  assert(third);
  assertThrows(() => limit("a"));
});

Deno.test("rate limit: 0 turns it off", () => {
  const limit = createRateLimiter({ perMinute: 0 });
  for (let i = 0; i < 10_000; i++) limit("a");
});
