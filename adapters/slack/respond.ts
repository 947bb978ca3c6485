/**
 * Posting to a `response_url`: the way a slash command is answered after Slack's three seconds,
 * and the only way a button press is answered. Slack takes five posts per URL within 30 minutes.
 * A 429 is waited out (Retry-After, up to 30 s), a 5xx or a failed connection retried after a
 * pause, a few attempts in all, each bounded so a Slack that never answers cannot hold the work;
 * any other refusal (`expired_url`, `used_url`, `invalid_blocks`) is final. The URL is a
 * credential for 30 minutes: it is never logged. Only Slack's hooks hosts (and a local sink's
 * response URLs) are posted to, so a request that fooled the signature check could not turn the
 * gateway against another address.
 */
import type { Core } from "../../supabase/functions/_shared/core.ts";
import type { SlackMessage } from "./format.ts";

/** Attempts per post, the first included. */
export const MAX_ATTEMPTS = 4;
/** Longest wait honoured for one 429. */
const MAX_RETRY_AFTER_SECONDS = 30;
/** Pause before retrying a 5xx or a failed connection. */
const RETRY_PAUSE_MS = 1_000;
/** Longest wait for one call. */
export const CALL_TIMEOUT_MS = 10_000;
/** Where Slack's response URLs point. */
const SLACK_HOOKS = ["https://hooks.slack.com", "https://hooks.slack-gov.com"];

/** Hosts of this machine: a local Slack sink's. */
const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

/**
 * Whether `url` is a response URL this app may post to: one on Slack's hooks hosts, or, only when
 * the app's API base is on this machine (the local Slack sink of tests and the dev stack), one of
 * the sink's response URLs, which sit beside its Web API (`<mount>/commands/…` and
 * `<mount>/actions/…` for an API base of `<mount>/api`). Never another path of the API's host:
 * that is Slack's Web API (or, locally, the front door with PostgREST behind it).
 */
export function allowedResponseUrl(url: string, apiBase: string): boolean {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return false;
  }
  if (SLACK_HOOKS.includes(target.origin)) return true;
  const api = new URL(apiBase);
  if (!LOOPBACK.has(api.hostname) || target.origin !== api.origin) return false;
  const mount = api.pathname.replace(/\/api\/?$/, "");
  return target.pathname.startsWith(`${mount}/`) &&
    /^\/(?:commands|actions)\/[^/]/.test(target.pathname.slice(mount.length));
}

/** Posts `message` to `url`; resolves true once Slack took it. Never throws. */
export async function postResponse(
  core: Pick<Core, "fetch" | "sleep" | "log">,
  url: string,
  message: SlackMessage,
  timeoutMs = CALL_TIMEOUT_MS,
): Promise<boolean> {
  const init = {
    method: "POST",
    headers: { "content-type": "application/json; charset=utf-8" },
    body: JSON.stringify(message),
  };
  for (let attempt = 1;; attempt++) {
    let status = 0;
    let waitMs: number | undefined = RETRY_PAUSE_MS;
    let error: unknown;
    try {
      const res = await core.fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
      status = res.status;
      const answer = await res.text().catch(() => "");
      if (res.ok) return true;
      error = slackError(answer);
      if (status === 429) waitMs = retryAfterMs(res.headers);
      else if (status < 500) waitMs = undefined; // refused: a retry gets the same answer
    } catch {
      // Slack could not be reached: retry after the pause.
    }
    if (waitMs === undefined || attempt >= MAX_ATTEMPTS) {
      core.log.warn("slack response failed", { status, slack_error: error ?? null, attempt });
      return false;
    }
    await core.sleep(waitMs);
  }
}

/** Slack's error code from an answer (`{"ok":false,"error":"used_url"}` or plain text). */
export function slackError(answer: string): string | null {
  try {
    const error = (JSON.parse(answer) as { error?: unknown })?.error;
    if (typeof error === "string") return error.slice(0, 60);
  } catch { /* plain text */ }
  const word = answer.trim();
  return /^[a-z_]{1,60}$/.test(word) ? word : null;
}

/** Milliseconds to wait after a 429, or undefined when the wait is too long to honour. */
export function retryAfterMs(headers: Headers): number | undefined {
  const given = headers.get("retry-after");
  let seconds = given === null ? 1 : Number(given);
  if (!Number.isFinite(seconds) || seconds < 0) seconds = 1;
  if (seconds > MAX_RETRY_AFTER_SECONDS) return undefined;
  return Math.ceil(seconds * 1000);
}
