/**
 * One call of Slack's Web API (`POST {apiBase}/{method}`, JSON, the bot token as bearer), with
 * Slack's answer read once: `{ok:true,…}`, or why not and whether trying again later can help.
 * Slack answers refusals with HTTP 200 and `{ok:false,error}`; a 429 carries Retry-After; an answer
 * that is not a JSON object is not Slack's API speaking and may be tried again. One
 * attempt, bounded in time: the caller (a drain with its own schedule) decides when to retry. The
 * token is never logged or returned.
 */

/** What a call came to. */
export type SlackApiResult =
  | { ok: true; body: Record<string, unknown> }
  | {
    ok: false;
    /** Slack's error code (`channel_not_found`, `ratelimited`, …), or `http_<status>` / `unreachable`. */
    error: string;
    /** Whether the same call may succeed later (rate limit, Slack's own failure, no answer). */
    retryable: boolean;
    /** Slack's Retry-After, for a 429. */
    retryAfterSeconds?: number;
  };

/** Longest wait for one call. */
export const API_TIMEOUT_MS = 10_000;
/** Slack's errors that say "not now" rather than "never". */
const TRANSIENT = new Set([
  "ratelimited",
  "internal_error",
  "fatal_error",
  "service_unavailable",
  "request_timeout",
]);

/** Calls `method` with `params` as the app's bot. */
export async function slackApiCall(
  deps: { fetch: typeof fetch },
  app: { apiBase: string; botToken: string },
  method: string,
  params: Record<string, unknown>,
  timeoutMs = API_TIMEOUT_MS,
): Promise<SlackApiResult> {
  let res: Response;
  try {
    res = await deps.fetch(`${app.apiBase}/${method}`, {
      method: "POST",
      headers: {
        "content-type": "application/json; charset=utf-8",
        authorization: `Bearer ${app.botToken}`,
      },
      body: JSON.stringify(params),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch {
    return { ok: false, error: "unreachable", retryable: true };
  }
  const body = await res.json().catch(() => null) as Record<string, unknown> | null;
  if (res.status === 429) {
    const seconds = Number(res.headers.get("retry-after"));
    return {
      ok: false,
      error: "ratelimited",
      retryable: true,
      retryAfterSeconds: Number.isFinite(seconds) && seconds >= 0 ? seconds : 1,
    };
  }
  if (res.ok && body?.ok === true) return { ok: true, body };
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    // Not Slack's API answering (an HTML page from a proxy, an outage), whatever the status:
    // Slack's failure, and a later attempt may find it back, as Telegram's are retried.
    return { ok: false, error: `http_${res.status}`, retryable: true };
  }
  const error = typeof body?.error === "string" ? body.error.slice(0, 60) : `http_${res.status}`;
  return { ok: false, error, retryable: res.status >= 500 || TRANSIENT.has(error) };
}
