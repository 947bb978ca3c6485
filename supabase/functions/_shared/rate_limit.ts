/**
 * Per-caller rate limiting: a token bucket per key (a user id, or a chat account before it is
 * resolved), held in this instance's memory and bounded in size. Protects the database from one
 * caller's flood; it is not a global quota across instances.
 *
 * Taking a request returns a ticket the pipeline may hand back: a delivery that was only a repeat
 * (a replay, a redelivery still in progress) or that failed in a way a retry can fix gives its
 * token back, so platform retries during an outage never eat the caller's budget.
 */
import { TtlCache } from "./cache.ts";
import { GatewayError } from "./errors.ts";

/** Options for {@link createRateLimiter}. */
export interface RateLimitOptions {
  /** Sustained requests per minute per key; 0 turns limiting off. */
  perMinute: number;
  /** Requests allowed in a burst (default: a quarter of a minute's worth, at least 5). */
  burst?: number;
  now?: () => number;
  maxKeys?: number;
}

/** One request taken from a caller's budget. */
export interface Ticket {
  /** Gives the token back (at most once). */
  refund(): void;
}

/**
 * Takes one request for `key`; throws 429 `rate_limited` with `retry_after` (seconds) and
 * `repeated` (true when this caller was already refused in the current window) when over.
 */
export type RateLimiter = (key: string) => Ticket;

const FREE: Ticket = { refund() {} };

/** Builds a limiter; with `perMinute: 0` it never limits. */
export function createRateLimiter(options: RateLimitOptions): RateLimiter {
  if (options.perMinute <= 0) return () => FREE;
  const now = options.now ?? Date.now;
  const ratePerMs = options.perMinute / 60_000;
  const burst = options.burst ?? Math.max(5, Math.ceil(options.perMinute / 4));
  const buckets = new TtlCache<string, { tokens: number; at: number; refusedUntil: number }>({
    maxEntries: options.maxKeys ?? 50_000,
    now,
  });
  // A bucket left alone this long is full again and need not be kept.
  const idleMs = burst / ratePerMs;
  return (key) => {
    const t = now();
    const bucket = buckets.get(key) ?? { tokens: burst, at: t, refusedUntil: 0 };
    bucket.tokens = Math.min(burst, bucket.tokens + (t - bucket.at) * ratePerMs);
    bucket.at = t;
    if (bucket.tokens < 1) {
      const waitMs = (1 - bucket.tokens) / ratePerMs;
      const repeated = bucket.refusedUntil > t;
      bucket.refusedUntil = t + waitMs;
      buckets.set(key, bucket, t + idleMs);
      const retryAfter = Math.max(1, Math.ceil(waitMs / 1000));
      throw new GatewayError(
        429,
        "rate_limited",
        `Too many requests: this one was not run. Send it again in ${retryAfter} s.`,
        {
          retry_after: retryAfter,
          repeated,
        },
      );
    }
    bucket.tokens -= 1;
    buckets.set(key, bucket, t + idleMs);
    let refunded = false;
    return {
      refund() {
        if (refunded) return;
        refunded = true;
        bucket.tokens = Math.min(burst, bucket.tokens + 1);
      },
    };
  };
}
