/**
 * The delivery keys this instance holds, from the ledger claim until the claim is completed or
 * released: the lease renewed while the delivery runs, the completion and the release written
 * off the response path, a lost claim logged once, and what a repeat of a held key is told
 * without asking the database. The rules these serve are stated in pipeline.ts.
 */
import { deadlines } from "./deadlines.ts";
import { within } from "./within.ts";
import { DB_TIMEOUT_MS } from "./db.ts";
import { asGatewayError, internalDetail } from "./errors.ts";
import type { Claim, Ledger } from "./ledger.ts";
import { LEASE_SECONDS, newClaimId, RENEW_MS, RENEW_RETRY_MS } from "./ledger.ts";
import type { Logger } from "./log.ts";

/**
 * How long a repeat of a key this instance has answered waits for the completion (or release)
 * still on its way to the database: many times what one takes (the 30 ms batch window and a
 * call), short enough that a frozen database costs a repeat no more than this.
 */
export const SETTLE_WAIT_MS = 500;

/** What a repeat of a held key is told: the ledger's answers, known here. */
export type Known = Exclude<Claim, { status: "claimed" }>;

/** A claim this instance holds while its delivery runs. */
export interface Held {
  /** The delivery answered: stop renewing and complete with `stored` (batched, background). */
  complete(stored: unknown): void;
  /** The delivery failed retryably: stop renewing and give the key back (background). */
  release(): void;
}

interface Entry {
  claim: number;
  fingerprint: string | null;
  /** When the lease ends, by this instance's clock (at most this; the database set it earlier). */
  leaseEnd: number;
  /** Another claim took the key over (found by a renewal, the completion or the release). */
  lost: boolean;
  /** Set once answered (completing) or failed (releasing): resolves with whether it completed. */
  settled?: Promise<boolean>;
  stored?: unknown;
}

/** The claims of one gateway instance. */
export interface Claims {
  /**
   * What a repeat of `key` is told, when this instance holds it: "busy" while it runs (Retry-After
   * the seconds left on its lease) or while its completion is pending past SETTLE_WAIT_MS (1),
   * "done" with the answer once the completion landed, "mismatch" for other arguments. Undefined
   * when only the ledger knows (not held here, lost, released or a failed completion).
   */
  known(key: string, fingerprint: string | null): Promise<Known | undefined>;
  /**
   * Asks the ledger for `key`. A claim whose answer was lost (the call failed after it may have
   * reached the database) is asked again at once with its id when it failed fast (a dropped
   * connection), and is otherwise released by its id in the background before the failure is
   * thrown: a claim nobody runs must not hold the key for a lease.
   */
  claim(key: string, fingerprint: string | null): Promise<Claim>;
  /** Holds a claim the ledger granted; renews its lease until completed or released. */
  hold(key: string, claim: number, fingerprint: string | null, requestId: string): Held;
}

/** Builds the claim table over the ledger. */
export function createClaims(core: {
  ledger: Ledger;
  log: Logger;
  now: () => number;
  background(promise: Promise<unknown>): void;
}): Claims {
  const { ledger, log, now } = core;
  const held = new Map<string, Entry>();

  return {
    async known(key, fingerprint) {
      const entry = held.get(key);
      if (!entry || entry.lost) return undefined;
      if (entry.fingerprint !== fingerprint) return { status: "mismatch" };
      if (!entry.settled) return { status: "busy", retry_after: secondsLeft(entry) };
      const completed = await within(entry.settled, SETTLE_WAIT_MS);
      // Answered, its completion not yet written: it will be in a moment.
      if (completed === undefined) return { status: "busy", retry_after: 1 };
      if (completed.value) return { status: "done", result: entry.stored };
      return undefined;
    },

    async claim(key, fingerprint) {
      const id = newClaimId();
      const ask = () => ledger.claim(key, fingerprint, LEASE_SECONDS, id);
      const started = now();
      try {
        return await ask();
      } catch (err) {
        if (asGatewayError(err).status !== 504) throw err; // it never reached the database
        try {
          // Failed before the upstream timeout: an answer dropped on the way. Asking again with
          // the same id is safe (the ledger knows its own claim); after a timeout it would only
          // double the wait.
          if (now() - started < DB_TIMEOUT_MS) return await ask();
        } catch { /* still unknown: released below */ }
        core.background(ledger.release(key, id).catch(() => {}));
        throw err;
      }
    },

    hold(key, claim, fingerprint, requestId) {
      const entry: Entry = {
        claim,
        fingerprint,
        leaseEnd: now() + LEASE_SECONDS * 1000,
        lost: false,
      };
      held.set(key, entry);
      const lost = () => {
        if (entry.lost) return; // once per claim, whoever finds it
        entry.lost = true;
        log.warn("delivery lease lost", { request_id: requestId });
      };
      const renewal = renew(key, entry, lost);
      const settle = (work: Promise<boolean>) => {
        renewal.stop();
        entry.settled = work;
        core.background(work.finally(() => {
          if (held.get(key) === entry) held.delete(key);
        }));
      };
      return {
        complete(stored) {
          entry.stored = stored;
          settle(
            ledger.completeSoon(key, claim, stored).then(
              (ours) => (ours || lost(), ours),
              (err) => {
                log.warn("ledger completion failed", {
                  request_id: requestId,
                  detail: internalDetail(err),
                });
                return false;
              },
            ),
          );
        },
        release() {
          // Not reached: the lease runs out on its own. Not ours any more: say so.
          settle(ledger.release(key, claim).then((ours) => (ours || lost(), false), () => false));
        },
      };
    },
  };

  /**
   * Renews the lease every RENEW_MS while the delivery runs (a delivery normally ends before the
   * first renewal, so this costs no call) and retries a renewal that did not reach the database
   * every RENEW_RETRY_MS. A renewal that finds the claim gone calls `lost`: the lease ran out
   * while this instance could not reach the database, and another instance may be running the
   * delivery too.
   */
  function renew(key: string, entry: Entry, lost: () => void) {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      const ours = await ledger.extend(key, entry.claim, LEASE_SECONDS).catch(() => null);
      if (stopped) return;
      if (ours === false) return lost();
      if (ours) entry.leaseEnd = now() + LEASE_SECONDS * 1000;
      timer = setTimeout(tick, ours ? RENEW_MS : RENEW_RETRY_MS);
    };
    // The first renewal on a coarse deadline (at most a tick late): nearly every delivery ends
    // before it, and a timer per delivery would cost a Node timer. Later ones keep their pace.
    const first = deadlines.after(RENEW_MS, tick);
    return {
      stop() {
        stopped = true;
        first();
        clearTimeout(timer);
      },
    };
  }

  function secondsLeft(entry: Entry): number {
    return Math.max(1, Math.ceil((entry.leaseEnd - now()) / 1000));
  }
}
