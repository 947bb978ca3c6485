/**
 * One platform call with a deadline whose timer is cleared with the call (`AbortSignal.timeout`
 * keeps its timer for the whole timeout, after the call is long done).
 */

/** Longest wait for one platform call; past it the send is retried (it may have gone through). */
export const SEND_TIMEOUT_MS = 5_000;

/** `fetchImpl(url, init)`, aborted after `ms`; the body is read by the caller in time. */
export async function timedFetch(
  fetchImpl: typeof fetch,
  url: string,
  init: RequestInit,
  ms: number,
): Promise<Response> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), ms);
  try {
    const res = await fetchImpl(url, { ...init, signal: abort.signal });
    // Read here, under the deadline: a body that never ends must not hold the drain either.
    const body = await res.arrayBuffer();
    return new Response(res.status === 204 ? null : body, {
      status: res.status,
      headers: res.headers,
    });
  } finally {
    clearTimeout(timer);
  }
}
