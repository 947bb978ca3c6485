/**
 * Waiting for work within a deadline (Discord's and Slack's three seconds, a repeat waiting for a
 * completion): the work's value if it settles in time, else nothing, and the work goes on (the
 * caller then answers at once and finishes it in the background). A coarse deadline (at most a
 * tick late, see deadlines.ts): a timer per request would cost a Node timer.
 */
import { deadlines } from "./deadlines.ts";

/** The promise's value if it settles within `ms`; undefined once the budget is spent. */
export async function within<T>(
  promise: Promise<T>,
  ms: number,
): Promise<{ value: T } | undefined> {
  let cancel = () => {};
  const budget = new Promise<undefined>((resolve) => {
    cancel = deadlines.after(Math.max(0, ms), () => resolve(undefined));
  });
  try {
    return await Promise.race([promise.then((value) => ({ value })), budget]);
  } finally {
    cancel();
  }
}
