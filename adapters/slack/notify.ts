/**
 * Notifications on Slack: a direct message from the app's bot to the linked user
 * (`conversations.open`, then `chat.postMessage`: `sendSlackDirectMessage`), the text in
 * plain-text blocks and the buttons signed with that app's button key, so a press reaches the
 * app's route and runs as the presser. Slack allows a bot about one message a second per
 * conversation; a 429's Retry-After makes the row due again then. What Slack answers becomes what
 * the user reads (`slackResult`).
 */
import type { SlackApp } from "../../supabase/functions/_shared/bots_slack.ts";
import type { Core } from "../../supabase/functions/_shared/core.ts";
import type { BotNotifier, ProviderNotifier, SendResult } from "../notify/senders.ts";
import { perBot } from "../notify/per_bot.ts";
import { SEND_TIMEOUT_MS } from "../notify/timed_fetch.ts";
import { sendSlackDirectMessage, type SlackDirectMessageResult } from "./dm.ts";
import { slackMessage } from "./format.ts";

/**
 * `chat.postMessage` is limited to about one message a second per conversation (bursts allowed);
 * `conversations.open` is a Tier 3 method (50+ a minute), which the pace keeps well under.
 */
const PACE = { perSecond: 20, chatIntervalMs: 1_000 };

/** The Slack sender of the notification table. */
export function slackNotifier(core: Core): ProviderNotifier {
  return perBot("Slack", core.config.slackApps, (app) => appNotifier(core, app));
}

function appNotifier(core: Core, app: SlackApp): BotNotifier {
  const codec = core.botActions("slack", app.name);
  // Every call bounded like the other platforms' sends: a Slack that never answers is a retry.
  const fetch: typeof globalThis.fetch = (input, init) =>
    core.fetch(input, { ...init, signal: AbortSignal.timeout(SEND_TIMEOUT_MS) });
  return {
    scope: core.bots.get("slack", app.name)!,
    pace: PACE,
    async send(to, actions) {
      if (!app.botToken) {
        return {
          status: "skipped",
          error: "not sent: the app's Slack bot has no token for direct messages",
        };
      }
      const owner = /:([UW][A-Z0-9]{2,20})$/.exec(to.externalId)?.[1];
      const message = slackMessage(to.text, { actions: actions ?? undefined, codec, owner });
      try {
        return slackResult(await sendSlackDirectMessage({ fetch }, app, to.externalId, message));
      } catch {
        return { status: "retry", error: "Slack could not be reached" };
      }
    },
  };
}

/** Slack's refusals that no later attempt can change, in the recipient's words. */
const REFUSED: Record<string, string> = {
  user_not_found: "not sent: Slack has no such account in the app's workspace",
  user_disabled: "not sent: the Slack account is deactivated",
  account_inactive: "not sent: the Slack account is deactivated",
  cannot_dm_bot: "not sent: Slack does not let the bot message this account",
  messages_tab_disabled: "not sent: the app's messages tab is turned off in Slack",
  is_archived: "not sent: the conversation with the bot is archived",
  invalid_external_id: "not sent: the linked Slack account is not valid",
};

/** What Slack's answer means for the delivery. */
export function slackResult(result: SlackDirectMessageResult): SendResult {
  if (result.ok) return { status: "sent" };
  if (result.error === "ratelimited") {
    const seconds = Math.max(1, result.retryAfterSeconds ?? 1);
    return {
      status: "retry",
      error: `Slack asked to wait ${Math.ceil(seconds)} s`,
      afterMs: Math.ceil(seconds * 1000),
    };
  }
  if (result.error === "no_bot_token") {
    return { status: "skipped", error: "not sent: the app's Slack bot has no token" };
  }
  const refused = REFUSED[result.error];
  if (refused) return { status: "failed", error: refused };
  if (result.retryable) return { status: "retry", error: `Slack failed (${result.error})` };
  // A token the workspace revoked, a missing scope: the app's to fix, so retried (and dead if never).
  if (
    /^(invalid_auth|not_authed|token_revoked|missing_scope|not_allowed_token_type)$/.test(
      result.error,
    )
  ) {
    return { status: "retry", error: `Slack refused the app's bot (${result.error})` };
  }
  return { status: "failed", error: `not sent: Slack refused the message (${result.error})` };
}
