/**
 * A direct message to a linked Slack user, as the app's bot (for notifications): the bot's
 * direct message channel with the user (`conversations.open`, scope `im:write`), then the
 * message (`chat.postMessage`, scope `chat:write`). Render the message with `slackMessage` from
 * `format.ts` (plain-text sections, buttons with the app's codec). The result says whether it was
 * sent, else Slack's reason and whether a later attempt can help; nothing is retried here.
 */
import type { SlackApp } from "../../supabase/functions/_shared/bots_slack.ts";
import type { SlackMessage } from "./format.ts";
import { slackApiCall } from "./web_api.ts";

/** What sending came to. */
export type SlackDirectMessageResult =
  | { ok: true; channel: string; ts: string }
  | { ok: false; error: string; retryable: boolean; retryAfterSeconds?: number };

/**
 * Sends `message` to the Slack account `externalId` (`<team id>:<user id>`, as linked) through
 * `app`, which must have a bot token installed in that workspace.
 */
export async function sendSlackDirectMessage(
  deps: { fetch: typeof fetch },
  app: Pick<SlackApp, "apiBase" | "botToken">,
  externalId: string,
  message: Pick<SlackMessage, "text" | "blocks">,
): Promise<SlackDirectMessageResult> {
  const user = /^[TE][A-Z0-9]{2,20}:([UW][A-Z0-9]{2,20})$/.exec(externalId)?.[1];
  if (!user) return { ok: false, error: "invalid_external_id", retryable: false };
  if (!app.botToken) return { ok: false, error: "no_bot_token", retryable: false };
  const bot = { apiBase: app.apiBase, botToken: app.botToken };
  const opened = await slackApiCall(deps, bot, "conversations.open", { users: user });
  if (!opened.ok) return opened;
  const channel = (opened.body.channel as { id?: unknown } | undefined)?.id;
  if (typeof channel !== "string") return { ok: false, error: "no_channel", retryable: true };
  const posted = await slackApiCall(deps, bot, "chat.postMessage", {
    channel,
    text: message.text,
    ...(message.blocks ? { blocks: message.blocks } : {}),
  });
  if (!posted.ok) return posted;
  return { ok: true, channel, ts: String(posted.body.ts) };
}
