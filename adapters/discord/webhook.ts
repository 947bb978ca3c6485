/**
 * Delivering a deferred answer: `PATCH {apiBase}/webhooks/{application_id}/{token}/messages/
 * @original` through the core's fetch. A 429 is waited out (`retry_after` from the JSON body in
 * seconds, else the Retry-After header) with the core's sleep; a 5xx or network failure is
 * retried after a short pause; a few attempts in all. The interaction token is a credential for
 * 15 minutes: the URL is never logged.
 */
import type { Core } from "../../supabase/functions/_shared/core.ts";
import type { MessageBody } from "./format.ts";

/** Attempts per edit, the first included. */
export const MAX_ATTEMPTS = 4;
/** Longest wait honoured for one 429; longer ones give up (the token lasts 15 minutes). */
const MAX_RETRY_AFTER_SECONDS = 30;
/** Pause before retrying a 5xx or a failed connection. */
const RETRY_PAUSE_MS = 1_000;
/**
 * Longest wait for one call: a Discord that takes the connection and never answers counts as a
 * failed attempt instead of holding the deferred answer (and the gateway's drain) forever.
 */
export const CALL_TIMEOUT_MS = 10_000;

/** Discord asks API clients to identify themselves this way. */
export const USER_AGENT = "DiscordBot (https://supabase.com, 1.0)";

/** Where an interaction's messages are: its application and (secret) token. */
export interface WebhookTarget {
  apiBase: string;
  applicationId: string;
  token: string;
}

/** Edits the interaction's original response; resolves true once Discord accepted the edit. */
export function editOriginal(
  core: Pick<Core, "fetch" | "sleep" | "log">,
  target: WebhookTarget,
  body: Omit<MessageBody, "flags">,
  timeoutMs = CALL_TIMEOUT_MS,
): Promise<boolean> {
  return call(core, "PATCH", `${webhookUrl(target)}/messages/@original`, body, timeoutMs);
}

/** Sends follow-up messages in order (a long reply's later parts); stops at the first failure. */
export async function sendFollowUps(
  core: Pick<Core, "fetch" | "sleep" | "log">,
  target: WebhookTarget,
  bodies: MessageBody[],
): Promise<void> {
  for (const body of bodies) {
    if (!(await call(core, "POST", webhookUrl(target), body))) return;
  }
}

function webhookUrl(target: WebhookTarget): string {
  return `${target.apiBase}/webhooks/${target.applicationId}/${encodeURIComponent(target.token)}`;
}

async function call(
  core: Pick<Core, "fetch" | "sleep" | "log">,
  method: "PATCH" | "POST",
  url: string,
  body: Omit<MessageBody, "flags"> | MessageBody,
  timeoutMs = CALL_TIMEOUT_MS,
): Promise<boolean> {
  const init = {
    method,
    headers: { "content-type": "application/json", "user-agent": USER_AGENT },
    body: JSON.stringify(body),
  };
  for (let attempt = 1;; attempt++) {
    let status = 0;
    let waitMs: number | undefined = RETRY_PAUSE_MS;
    let code: unknown;
    try {
      const res = await core.fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
      status = res.status;
      if (res.ok) {
        await res.body?.cancel();
        return true;
      }
      const answer = await res.json().catch(() => null) as Record<string, unknown> | null;
      code = answer?.code;
      if (status === 429) waitMs = retryAfterMs(answer, res.headers);
      else if (status < 500) waitMs = undefined; // Discord refused the edit: final
    } catch {
      // Discord could not be reached: retry after the pause.
    }
    if (waitMs === undefined || attempt >= MAX_ATTEMPTS) {
      core.log.warn(method === "PATCH" ? "discord edit failed" : "discord follow-up failed", {
        status,
        discord_code: code ?? null,
        attempt,
      });
      return false;
    }
    await core.sleep(waitMs);
  }
}

/** Milliseconds to wait after a 429, or undefined when the wait is too long to honour. */
function retryAfterMs(body: Record<string, unknown> | null, headers: Headers): number | undefined {
  let seconds = Number(body?.retry_after);
  if (!Number.isFinite(seconds) || seconds < 0) seconds = Number(headers.get("retry-after"));
  if (!Number.isFinite(seconds) || seconds < 0) seconds = 1;
  if (seconds > MAX_RETRY_AFTER_SECONDS) return undefined;
  return Math.ceil(seconds * 1000);
}
