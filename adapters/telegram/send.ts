/**
 * Sending replies to Telegram with grammY's `Api`: escaped HTML, split at 4096 characters,
 * quoting the message in groups, in the message's forum topic when it has one. A 429 is waited
 * out (up to 10 s); a refusal by Telegram (4xx: the bot was blocked, the chat is gone) is final;
 * Telegram out of reach is a 503 so the update is redelivered. Button presses are answered with
 * `answerCallbackQuery`, and a reply that replaces the pressed message edits it in place.
 */
import { Api, GrammyError } from "grammy";
import type { TelegramBot } from "../../supabase/functions/_shared/bots.ts";
import type { Core } from "../../supabase/functions/_shared/core.ts";
import { GatewayError } from "../../supabase/functions/_shared/errors.ts";
import { telegramMessages } from "./format.ts";
import type { ReplyTarget } from "./update.ts";

/** Longest 429 wait honoured inline; longer ones fail the send (Telegram redelivers). */
const MAX_RETRY_AFTER_SECONDS = 10;
/**
 * Longest wait for one Bot API call (grammY's default is 500 s). A Telegram that takes the
 * connection and never answers fails the send (503, the update is redelivered) instead of
 * holding the delivery, and its ledger claim, for minutes.
 */
export const CALL_TIMEOUT_SECONDS = 10;

/** An inline keyboard, as Telegram takes it. */
export type InlineKeyboard = { text: string; callback_data: string }[][];

/** Talks to Telegram for the webhook: replies, in-place edits, answers to button presses. */
export interface TelegramSender {
  /** Sends `text` (split at the limit); the keyboard goes under the last part. */
  send(target: ReplyTarget, text: string, keyboard?: InlineKeyboard): Promise<void>;
  /** Replaces a message's text and keyboard; a message that did not change is fine. */
  edit(chatId: number, messageId: number, text: string, keyboard?: InlineKeyboard): Promise<void>;
  /** Answers a button press: no text stops the client's spinner; text shows a short notice. */
  answerPress(queryId: string, text?: string): Promise<void>;
}

/** Telegram's limit for the text of an answer to a button press. */
const PRESS_TEXT_LIMIT = 200;

/** Builds the sender over grammY's API client. */
export function createSender(
  core: Pick<Core, "fetch" | "sleep" | "log">,
  config: Pick<TelegramBot, "token" | "apiRoot">,
  { timeoutSeconds = CALL_TIMEOUT_SECONDS } = {},
): TelegramSender {
  const api = new Api(config.token, {
    apiRoot: config.apiRoot,
    fetch: core.fetch as never,
    timeoutSeconds,
  });
  api.config.use(async (prev, method, payload, signal) => {
    for (let attempt = 1;; attempt++) {
      const result = await prev(method, payload, signal);
      const wait = result.ok ? undefined : result.parameters?.retry_after;
      if (wait === undefined || attempt >= 3 || wait > MAX_RETRY_AFTER_SECONDS) return result;
      await core.sleep(wait * 1000);
    }
  });
  /** Runs one call; a refusal (4xx but 429) is final and logged, anything else a 503. */
  const call = async (work: () => Promise<unknown>, ignore?: RegExp) => {
    try {
      await work();
    } catch (err) {
      if (err instanceof GrammyError && err.error_code >= 400 && err.error_code < 500) {
        if (ignore?.test(err.description)) return;
        if (err.error_code !== 429) {
          // Telegram will never take this call (blocked, chat gone): retrying cannot help.
          core.log.warn("telegram refused a call", {
            method: err.method,
            error_code: err.error_code,
            description: err.description.slice(0, 200),
          });
          return;
        }
      }
      throw new GatewayError(503, "upstream_error", "Telegram could not be reached; retry later.");
    }
  };
  const markup = (keyboard?: InlineKeyboard) =>
    keyboard?.length ? { reply_markup: { inline_keyboard: keyboard } } : {};
  return {
    async send(target, text, keyboard) {
      const chunks = telegramMessages(text);
      for (const [i, chunk] of chunks.entries()) {
        await call(() =>
          api.sendMessage(target.chatId, chunk, {
            parse_mode: "HTML",
            link_preview_options: { is_disabled: true },
            ...(target.private ? {} : {
              reply_parameters: { message_id: target.messageId, allow_sending_without_reply: true },
            }),
            ...(target.threadId === undefined ? {} : { message_thread_id: target.threadId }),
            ...(i === chunks.length - 1 ? markup(keyboard) : {}),
          })
        );
      }
    },
    async edit(chatId, messageId, text, keyboard) {
      // An edit holds one message: a text too long for it keeps its first part.
      const [first] = telegramMessages(text);
      await call(
        () =>
          api.editMessageText(chatId, messageId, first, {
            parse_mode: "HTML",
            link_preview_options: { is_disabled: true },
            ...markup(keyboard),
          }),
        /message is not modified/,
      );
    },
    async answerPress(queryId, text) {
      const shown = text && text.length > PRESS_TEXT_LIMIT
        ? text.slice(0, PRESS_TEXT_LIMIT - 1) + "…"
        : text;
      // A press answered late (or twice) is refused as "query is too old": nothing to retry.
      await call(
        () => api.answerCallbackQuery(queryId, shown ? { text: shown, show_alert: true } : {}),
        /query is too old|query ID is invalid/,
      );
    },
  };
}
