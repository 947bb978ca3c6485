/**
 * Waiting for work within a platform's answer deadline (Discord's and Slack's three seconds):
 * the work's value if it settles in time, else nothing, and the work goes on (the caller then
 * acknowledges at once and finishes it in the background).
 */

/** The promise's value if it settles within `ms`; undefined once the budget is spent. */
export async function within<T>(
  promise: Promise<T>,
  ms: number,
): Promise<{ value: T } | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const budget = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), Math.max(0, ms));
  });
  try {
    return await Promise.race([promise.then((value) => ({ value })), budget]);
  } finally {
    clearTimeout(timer);
  }
}
