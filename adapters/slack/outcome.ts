/**
 * A Slack app as its requests see it (settings, commands and words, button key), and what its
 * users read for an outcome of the pipeline: the reply with its buttons, a refusal, or, when the
 * delivery could not be done, why (Slack never redelivers a slash command or a press, so a failure
 * a retry could fix is told to the user, who may try again).
 */
import type { ActionCodec } from "../../supabase/functions/_shared/action_tokens.ts";
import type { BotScope } from "../../supabase/functions/_shared/bot.ts";
import type { SlackApp } from "../../supabase/functions/_shared/bots_slack.ts";
import type { Core } from "../../supabase/functions/_shared/core.ts";
import { asGatewayError, internalDetail } from "../../supabase/functions/_shared/errors.ts";
import type { RequestRecord } from "../../supabase/functions/_shared/log.ts";
import type { Outcome } from "../../supabase/functions/_shared/pipeline.ts";
import { type SlackMessage, slackMessage } from "./format.ts";

/** One Slack app: its settings, its commands and words, its button key. */
export interface SlackBot {
  app: SlackApp;
  scope: BotScope;
  actions: ActionCodec;
}

/** Shown when the database (or another dependency) failed before anything was done. */
export const UNAVAILABLE_TEXT = "The service is unavailable right now; try again in a moment.";
/** Shown when a write may or may not have happened (the database did not answer in time). */
export const UNKNOWN_TEXT = "The service did not answer in time, so this may or may not have " +
  "been done. Check before you send it again.";
/** Shown when the command failed for a reason the caller cannot fix. */
export const FAILED_TEXT = "Something went wrong; try again.";
const BUSY_TEXT = "This command is already being handled.";

/**
 * The ledger key of a request: Slack makes `trigger_id` unique per invocation (a command or a
 * press), and it is scoped to the app (its Slack id, which the signature vouches for).
 */
export function deliveryId(bot: SlackBot, request: { apiAppId?: string; triggerId: string }) {
  return `sl:${request.apiAppId ?? bot.app.name}:${request.triggerId}`;
}

/**
 * The message for an outcome, made for `owner`: the reply and its buttons (`publicly`: seen by
 * the channel), or a private refusal; null when the caller was already told (stay silent).
 */
export function renderOutcome(
  bot: SlackBot,
  outcome: Outcome,
  owner: string,
  publicly: boolean,
): SlackMessage | null {
  if (!outcome.ok) {
    if (outcome.quiet) return null;
    return { response_type: "ephemeral", ...slackMessage(outcome.error.message) };
  }
  const { reply } = outcome;
  return {
    response_type: publicly ? "in_channel" : "ephemeral",
    ...slackMessage(reply.text, { actions: reply.actions, codec: bot.actions, owner }),
  };
}

/** What the user reads when the delivery could not be done (logged when it is our fault). */
export function failureMessage(core: Core, err: unknown, record: RequestRecord): SlackMessage {
  const error = asGatewayError(err);
  record.error_code = error.code;
  let text: string;
  if (error.code === "idempotency_in_progress") text = BUSY_TEXT;
  else if (error.code === "internal") {
    core.log.error("slack request failed", {
      request_id: record.request_id,
      detail: internalDetail(err),
    });
    text = FAILED_TEXT;
  } else if (error.status < 500) text = error.message;
  else text = error.status === 504 ? UNKNOWN_TEXT : UNAVAILABLE_TEXT;
  return { response_type: "ephemeral", ...slackMessage(text) };
}
