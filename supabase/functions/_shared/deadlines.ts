/**
 * Coarse deadlines for the request path: an upstream call's timeout, a claimed delivery's first
 * lease renewal, Discord's answer budget. Each would otherwise arm a timer per request, and in
 * Deno 2.9 the global `setTimeout` is Node's compatible one: about as costly per call as a
 * pass-through's whole JavaScript work, and its first call loads Node's timers (10-40 ms of a cold
 * start). Here one ticker checks every pending deadline each tick, so arming and cancelling one is
 * a Set insert and delete. The ticker is `AbortSignal.timeout`, Deno's own web timer, and runs only
 * while a deadline is pending (a pending call, which keeps the process alive anyway), one tick
 * past the last. A deadline fires at most one tick ({@link TICK_MS}) late; what needs a precise
 * moment (the ledger's batch window, renewals after the first) keeps `setTimeout`.
 */

/** How often pending deadlines are checked: the most a deadline fires late. */
export const TICK_MS = 25;

/** Cancels a deadline (no-op once it fired). */
export type Cancel = () => void;

/** Pending deadlines served by one ticker. */
export interface Deadlines {
  /** Runs `fire` once `ms` have passed (up to one tick later), unless cancelled first. */
  after(ms: number, fire: () => void): Cancel;
  /**
   * A signal that aborts (with a `TimeoutError`, as `AbortSignal.timeout` does) after `ms`, also
   * when `outer` aborts; `done()` drops the deadline once the call has ended.
   */
  signal(ms: number, outer?: AbortSignal | null): { signal: AbortSignal; done: Cancel };
  /** How many are pending (tests). */
  readonly size: number;
}

interface Entry {
  at: number;
  fire: () => void;
}

/** Builds a set of deadlines with its own ticker. */
export function createDeadlines(tickMs = TICK_MS): Deadlines {
  const pending = new Set<Entry>();
  let ticking = false;
  const tick = () => {
    AbortSignal.timeout(tickMs).addEventListener("abort", sweep, { once: true });
  };
  const sweep = () => {
    if (!pending.size) {
      ticking = false;
      return;
    }
    tick();
    const now = performance.now();
    for (const entry of pending) {
      if (entry.at > now) continue;
      pending.delete(entry);
      try {
        entry.fire();
      } catch (err) {
        // One failing callback must not stop the others; surface it as an uncaught error would.
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  };
  const after = (ms: number, fire: () => void): Cancel => {
    const entry = { at: performance.now() + ms, fire };
    pending.add(entry);
    if (!ticking) {
      ticking = true;
      tick();
    }
    return () => void pending.delete(entry);
  };
  return {
    after,
    signal(ms, outer) {
      const controller = new AbortController();
      const cancel = after(ms, () => {
        controller.abort(new DOMException("The call timed out.", "TimeoutError"));
      });
      if (!outer) return { signal: controller.signal, done: cancel };
      if (outer.aborted) {
        cancel();
        return { signal: outer, done: () => {} };
      }
      const forward = () => controller.abort(outer.reason);
      outer.addEventListener("abort", forward, { once: true });
      return {
        signal: controller.signal,
        done: () => {
          cancel();
          outer.removeEventListener("abort", forward);
        },
      };
    },
    get size() {
      return pending.size;
    },
  };
}

/** The process's deadlines: one ticker for the whole gateway. */
export const deadlines: Deadlines = createDeadlines();
