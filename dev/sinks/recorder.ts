/**
 * Sink helper shared by the Telegram and Discord fakes: a call log that tests can wait on, and
 * a queue of injected failures ("fail the next N matching calls").
 *
 * @module
 */

/** An append-only call log with `waitFor`. */
export interface Recorder<T> {
  /** Recorded items, oldest first; clear in place with `items.length = 0`. */
  readonly items: T[];
  /** Appends an item and wakes matching waiters. */
  record(item: T): void;
  /** Resolves with the first item (past or future) matching `pred`; rejects after `timeoutMs`. */
  waitFor(pred: (item: T) => boolean, timeoutMs: number): Promise<T>;
}

/** Creates a recorder; `label` names the sink in timeout errors. */
export function createRecorder<T>(label: string): Recorder<T> {
  const items: T[] = [];
  const waiters = new Set<(item: T) => boolean>();
  return {
    items,
    record(item) {
      items.push(item);
      for (const waiter of [...waiters]) if (waiter(item)) waiters.delete(waiter);
    },
    waitFor(pred, timeoutMs) {
      const found = items.find(pred);
      if (found !== undefined) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const waiter = (item: T) => {
          if (!pred(item)) return false;
          clearTimeout(timer);
          resolve(item);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`${label}: no matching call within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
  };
}

/** Injected failures: each entry matches some calls and is used up after `times` of them. */
export class FailureQueue<M, F> {
  #entries: { match: M; failure: F; remaining: number }[] = [];

  /** Queues `failure` for the next `times` calls that `match` (as judged by `take`). */
  push(match: M, failure: F, times = 1): void {
    if (times > 0) this.#entries.push({ match, failure, remaining: times });
  }

  /** Uses up and returns the oldest failure whose match satisfies `test`, if any. */
  take(test: (match: M) => boolean): F | undefined {
    const i = this.#entries.findIndex((e) => test(e.match));
    if (i < 0) return undefined;
    const entry = this.#entries[i];
    if (--entry.remaining <= 0) this.#entries.splice(i, 1);
    return entry.failure;
  }

  /** Drops every queued failure. */
  clear(): void {
    this.#entries.length = 0;
  }
}
