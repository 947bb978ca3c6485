/**
 * Posting the answer to a mention or a direct message, as the app's bot through the Web API
 * (Slack reads nothing from the HTTP answer to an event). Where it goes:
 * - a direct message: `chat.postMessage` in the DM (in the thread the person wrote in, if any);
 * - a mention in a channel, answered publicly (a command defined with `publicReply`):
 *   `chat.postMessage` in the mention's thread (`thread_ts`), so the channel is not flooded;
 * - a mention answered privately (every other command, and every refusal): `chat.postEphemeral`
 *   to the mentioner alone. The same rule as the slash command's ephemeral answers: a reply may
 *   show the caller's own data (their tasks), which others in the channel must not read. Slack
 *   shows an ephemeral message with `thread_ts` only when the thread already has replies, so it
 *   gets one only when the mention itself was in a thread; otherwise it appears in the channel,
 *   for the mentioner alone.
 * A 429 is waited out (Retry-After up to 30 s) and a 5xx or a failed connection retried after a
 * pause, a few attempts in all; a refusal (`channel_not_found`, `not_in_channel`) is final and
 * logged with Slack's code, never the token.
 */
import type { Core } from "../../supabase/functions/_shared/core.ts";
import type { SlackEventMessage } from "./event.ts";
import type { SlackMessage } from "./format.ts";
import type { SlackBot } from "./outcome.ts";
import { slackApiCall } from "./web_api.ts";

/** Attempts per answer, the first included. */
const MAX_ATTEMPTS = 3;
/** Longest wait honoured for one 429, in seconds. */
const MAX_RETRY_AFTER_SECONDS = 30;
const RETRY_PAUSE_MS = 1_000;

/** The Web API call that shows `message` where `event` asked; see the module comment. */
export function eventReplyCall(
  event: SlackEventMessage,
  message: SlackMessage,
): { method: "chat.postMessage" | "chat.postEphemeral"; params: Record<string, unknown> } {
  const { response_type: type, replace_original: _replace, ...content } = message;
  const privately = event.where === "mention" && type !== "in_channel";
  const thread = privately || event.where === "dm" ? event.threadTs : event.threadTs ?? event.ts;
  const user = event.account.externalId.split(":")[1];
  return {
    method: privately ? "chat.postEphemeral" : "chat.postMessage",
    params: {
      channel: event.channel,
      ...(privately ? { user } : {}),
      ...content,
      ...(thread ? { thread_ts: thread } : {}),
    },
  };
}

/** Posts the answer with the app's bot token; resolves true once Slack took it. Never throws. */
export async function postEventReply(
  core: Pick<Core, "fetch" | "sleep" | "log">,
  bot: SlackBot,
  event: SlackEventMessage,
  message: SlackMessage,
): Promise<boolean> {
  const token = bot.app.botToken;
  if (!token) return false; // the endpoint answers no events for an app without a token
  const { method, params } = eventReplyCall(event, message);
  const app = { apiBase: bot.app.apiBase, botToken: token };
  for (let attempt = 1;; attempt++) {
    const result = await slackApiCall({ fetch: core.fetch }, app, method, params);
    if (result.ok) return true;
    const wait = result.retryAfterSeconds ?? RETRY_PAUSE_MS / 1000;
    if (!result.retryable || attempt >= MAX_ATTEMPTS || wait > MAX_RETRY_AFTER_SECONDS) {
      core.log.warn("slack event reply failed", {
        method,
        slack_error: result.error,
        attempt,
        bot: bot.app.name,
      });
      return false;
    }
    await core.sleep(Math.ceil(wait * 1000));
  }
}
