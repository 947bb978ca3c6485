/**
 * The Telegram channel: `POST /telegram`, Telegram's webhook. The secret header is checked in
 * constant time before anything else (401, no database call). The update is parsed once and
 * read by `update.ts`; a message to answer becomes a delivery keyed by bot id and update_id, and
 * its reply is sent before the delivery completes. What a retry cannot fix (malformed JSON, an
 * update we do not handle, bad input) is acknowledged with 200; when the delivery could not be
 * done (database or Telegram unavailable, the same update still running elsewhere) the answer
 * is 503 and Telegram redelivers later.
 */
import { readBody } from "../../supabase/functions/_shared/body.ts";
import type { Core } from "../../supabase/functions/_shared/core.ts";
import {
  asGatewayError,
  GatewayError,
  internalDetail,
} from "../../supabase/functions/_shared/errors.ts";
import type { Outcome } from "../../supabase/functions/_shared/pipeline.ts";
import { retryable } from "../../supabase/functions/_shared/pipeline.ts";
import type { Route } from "../../supabase/functions/_shared/router.ts";
import { telegramName } from "./parse.ts";
import { secretChecker } from "./secret.ts";
import { createSender, type InlineKeyboard, PRESS_TEXT_LIMIT } from "./send.ts";
import {
  isUpdate,
  readPress,
  readUpdate,
  type TelegramPress,
  type TelegramRequest,
} from "./update.ts";
import type { RequestRecord } from "../../supabase/functions/_shared/log.ts";
import { DEFAULT_BOT, type TelegramBot } from "../../supabase/functions/_shared/bots.ts";
import { INVALID_ACTION_TEXT } from "../../supabase/functions/_shared/actions.ts";

/** Telegram updates are small; this leaves room for long messages with many entities. */
const UPDATE_LIMIT = 1024 * 1024;
const SECRET_HEADER = "x-telegram-bot-api-secret-token";
const PLAIN_TEXT_HINT = "Send /help to see what I can do.";
const FAILED_TEXT = "Something went wrong; try again.";

/** Answers one bot's webhook requests. */
type BotWebhook = (req: Request, record: RequestRecord) => Promise<Response>;

/**
 * The Telegram webhook route of every bot (loaded on first use through `mod.ts`): the route's
 * name picks the bot (none: `default`), whose webhook is built on its first update and kept. A
 * name no bot has is a 404 before anything else; each bot checks its own secret only.
 */
export function telegramWebhookRoute(core: Core): Route {
  const bots = new Map(core.config.telegramBots.map((bot) => [bot.name, bot]));
  const webhooks = new Map<string, BotWebhook>();
  return {
    method: "POST",
    path: "/telegram/:bot",
    handle(req, params, record) {
      record.channel = "telegram";
      const name = params.bot ?? DEFAULT_BOT;
      let webhook = webhooks.get(name);
      if (!webhook) {
        const bot = bots.get(name);
        if (!bot) throw new GatewayError(404, "not_found", `No Telegram bot is named '${name}'.`);
        webhook = botWebhook(core, bot);
        webhooks.set(name, webhook);
      }
      record.bot = name;
      return webhook(req, record);
    },
  };
}

/** One bot's webhook: its secret, its sender (its token), its commands and words. */
function botWebhook(core: Core, config: TelegramBot): BotWebhook {
  const isSecret = secretChecker(config.webhookSecret);
  const send = createSender(core, config);
  const scope = core.bots.get("telegram", config.name)!;
  const actions = core.botActions("telegram", config.name);
  const ack = () => new Response(null, { status: 200 });

  return async function handle(req, record) {
    if (!isSecret(req.headers.get(SECRET_HEADER))) {
      throw new GatewayError(401, "invalid_token", "Wrong or missing secret token.");
    }
    let update: unknown;
    try {
      update = JSON.parse(await readBody(req, UPDATE_LIMIT));
    } catch (err) {
      // Retrying cannot fix a broken or oversized body: acknowledge it and log.
      record.error_code = asGatewayError(err).status === 413 ? "payload_too_large" : "bad_json";
      return ack();
    }
    if (!isUpdate(update)) {
      record.error_code = "invalid_args";
      return ack();
    }
    record.update_id = update.update_id;
    const press = readPress(update);
    if (press) return await answerPress(press, record);
    const request = readUpdate(update, scope.commands, config.username);
    if (!request) return ack();
    const reply = async (outcome: Outcome) => {
      const text = replyText(request, outcome);
      if (text === null) return;
      await send.send(request.target, text, outcome.ok ? keyboard(outcome) : undefined);
    };
    return await carry(record, () =>
      core.pipeline({
        channel: "telegram",
        bot: scope,
        caller: { kind: "chat", account: request.account },
        command: request.command,
        args: request.args,
        id: `tg:${config.botId}:${update.update_id}`,
        // Sent before the key is completed: if Telegram cannot be reached, the update is
        // redelivered and the (idempotent) command answers again.
        deliver: reply,
        // Replies are not kept: Telegram does not repeat an update it saw answered.
        stored: () => ({ replied: true }),
        record,
      }), () => send.send(request.target, FAILED_TEXT));
  };

  /** The reply's buttons as an inline keyboard. */
  function keyboard(outcome: Outcome & { ok: true }): InlineKeyboard | undefined {
    const rows = outcome.reply.actions;
    if (!rows?.length) return undefined;
    return rows.map((row) => row.map((a) => ({ text: a.label, callback_data: actions.encode(a) })));
  }

  /**
   * A pressed button: its call runs as the presser, keyed by the callback query id, and the
   * press is always answered (a notice for errors). On the presser's own message a reply that
   * replaces it edits it in place and other replies are sent to the chat; any other press is
   * answered to the presser alone ({@link answerPrivately}).
   */
  async function answerPress(press: TelegramPress, record: RequestRecord) {
    record.pressed = true;
    const call = actions.decode(press.data);
    if (!call) {
      record.error_code = "invalid_action";
      await send.answerPress(press.queryId, INVALID_ACTION_TEXT);
      return ack();
    }
    const deliver = async (outcome: Outcome) => {
      if (!outcome.ok) {
        await send.answerPress(press.queryId, outcome.quiet ? undefined : outcome.error.message);
        return;
      }
      const { reply: r } = outcome;
      const buttons = keyboard(outcome);
      if (!press.message || !press.ownMessage) {
        // Named in the alert: the follow-on's command when there is one (the list to see).
        const command = call.then?.command ?? call.command;
        return await answerPrivately(press, command, r.text, buttons);
      }
      if (r.replaces) await send.edit(press.message, r.text, buttons);
      else await send.send(press.message, r.text, buttons);
      await send.answerPress(press.queryId);
    };
    return await carry(record, () =>
      core.pipeline({
        channel: "telegram",
        bot: scope,
        caller: { kind: "chat", account: press.account },
        command: call.command,
        args: call.args,
        ...(call.then ? { then: call.then } : {}),
        id: `tg:${config.botId}:press:${press.queryId}`,
        deliver,
        stored: () => ({ replied: true }),
        record,
      }), () => send.answerPress(press.queryId, FAILED_TEXT));
  }

  /**
   * The answer to a press on a message that is not the presser's (another member's in a group,
   * one whose owner cannot be told, an inline-mode one): it may hold the presser's data, so it
   * goes to their private chat with the bot, never where they pressed. Telegram lets a bot write
   * there only to users who started it; the others get an alert saying where to ask.
   */
  async function answerPrivately(
    press: TelegramPress,
    command: string,
    text: string,
    buttons: InlineKeyboard | undefined,
  ) {
    // A user's private chat with the bot has their user id; nothing there is quoted.
    const chat = { chatId: Number(press.account.externalId), private: true, messageId: 0 };
    const bot = config.username;
    if (!await send.send(chat, text, buttons)) {
      // The alert is the presser's alone too: a short answer is shown in it, above the hint.
      const hint = privateOnlyText(bot, telegramName(command));
      const both = `${text}\n\n${hint}`;
      await send.answerPress(press.queryId, both.length <= PRESS_TEXT_LIMIT ? both : hint);
      return;
    }
    // The answer was sent: a failure to say so must not fail the delivery, or its redelivery
    // would send the private message twice.
    await send.answerPress(press.queryId, `Sent to you in a private chat with @${bot}.`, {
      alert: false,
    }).catch(() => {});
  }

  /** Runs a delivery and turns its failure into Telegram's answer (200, or 503 to redeliver). */
  async function carry(
    record: RequestRecord,
    work: () => Promise<unknown>,
    tellFault: () => Promise<unknown>,
  ): Promise<Response> {
    try {
      await work();
      return ack();
    } catch (err) {
      const error = asGatewayError(err);
      record.error_code = error.code;
      if (error.code === "internal") {
        // A fault of ours that a redelivery would meet again: say so and let the update go.
        core.log.error("telegram update failed", {
          request_id: record.request_id,
          detail: internalDetail(err),
        });
        await tellFault().catch(() => {});
        return ack();
      }
      if (!retryable(error)) return ack();
      // Non-2xx: Telegram keeps the update and redelivers it later.
      throw new GatewayError(503, error.code, "Not handled; Telegram will redeliver.");
    }
  }
}

/** The hint for a presser the bot may not write to in private (well within 200 characters). */
function privateOnlyText(bot: string, command: string): string {
  return `This button answers in private: open a private chat with @${bot}, press Start, ` +
    `then send /${command} there.`;
}

/** The text to send for an outcome, or null to stay silent. */
function replyText(request: TelegramRequest, outcome: Outcome): string | null {
  if (outcome.ok) return outcome.reply.text;
  if (outcome.quiet) return null;
  if (request.plainText && outcome.error.code === "unknown_command") return PLAIN_TEXT_HINT;
  return outcome.error.message;
}
