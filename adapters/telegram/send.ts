/**
 * Sending replies to Telegram with grammY's `Api`: escaped HTML, split at 4096 characters,
 * quoting the message in groups, in the message's forum topic when it has one. A 429 is waited
 * out (up to 10 s); a refusal by Telegram (4xx: the bot was blocked, the chat is gone) is final
 * and reported to the caller; Telegram out of reach is a 503 so the update is redelivered.
 * Button presses are answered with `answerCallbackQuery`, and a reply that replaces the pressed
 * message edits it in place (a reply longer than one message continues in new ones).
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
  /**
   * Sends `text` (split at the limit); the keyboard goes under the last part. Resolves to
   * whether Telegram took every part: false when it refused one (the user blocked the bot, or
   * never started it, for a private chat), which ends the send.
   */
  send(target: ReplyTarget, text: string, keyboard?: InlineKeyboard): Promise<boolean>;
  /**
   * Replaces the text and keyboard of the message `target` names; a message that did not change
   * is fine. A text longer than one message fills it with its first part and sends the rest
   * after it, as `send` would, with the keyboard under the last part.
   */
  edit(target: ReplyTarget, text: string, keyboard?: InlineKeyboard): Promise<void>;
  /**
   * Answers a button press: no text stops the client's spinner; text shows an alert the presser
   * must dismiss, or with `{ alert: false }` a passing notice.
   */
  answerPress(queryId: string, text?: string, options?: { alert?: boolean }): Promise<void>;
}

/** Telegram's limit for the text of an answer to a button press. */
export const PRESS_TEXT_LIMIT = 200;

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
  /**
   * Runs one call: true when done (or refused with a description matching `ignore`), false when
   * Telegram refused it (4xx but 429: final, logged); anything else is a 503.
   */
  const call = async (work: () => Promise<unknown>, ignore?: RegExp): Promise<boolean> => {
    try {
      await work();
      return true;
    } catch (err) {
      if (err instanceof GrammyError && err.error_code >= 400 && err.error_code < 500) {
        if (ignore?.test(err.description)) return true;
        if (err.error_code !== 429) {
          // Telegram will never take this call (blocked, chat gone): retrying cannot help.
          core.log.warn("telegram refused a call", {
            method: err.method,
            error_code: err.error_code,
            description: err.description.slice(0, 200),
          });
          return false;
        }
      }
      throw new GatewayError(503, "upstream_error", "Telegram could not be reached; retry later.");
    }
  };
  const markup = (keyboard?: InlineKeyboard) =>
    keyboard?.length ? { reply_markup: { inline_keyboard: keyboard } } : {};
  const format = { parse_mode: "HTML", link_preview_options: { is_disabled: true } } as const;
  /** Sends escaped parts in order, the keyboard under the last; stops at a refusal. */
  const sendParts = async (target: ReplyTarget, parts: string[], keyboard?: InlineKeyboard) => {
    for (const [i, part] of parts.entries()) {
      const taken = await call(() =>
        api.sendMessage(target.chatId, part, {
          ...format,
          ...(target.private ? {} : {
            reply_parameters: { message_id: target.messageId, allow_sending_without_reply: true },
          }),
          ...(target.threadId === undefined ? {} : { message_thread_id: target.threadId }),
          ...(i === parts.length - 1 ? markup(keyboard) : {}),
        })
      );
      if (!taken) return false;
    }
    return true;
  };
  return {
    send: (target, text, keyboard) => sendParts(target, telegramMessages(text), keyboard),
    async edit(target, text, keyboard) {
      // One message holds 4096 characters: the first part replaces the message (its keyboard
      // removed when more follows) and the rest follows it, so the whole reply is shown and the
      // buttons sit under the end of the text they act on.
      const [first, ...rest] = telegramMessages(text);
      const edited = await call(
        () =>
          api.editMessageText(target.chatId, target.messageId, first, {
            ...format,
            ...(rest.length ? {} : markup(keyboard)),
          }),
        /message is not modified/,
      );
      // What follows quotes what the edited message quoted (in a group, its owner's command), not
      // the edited message, which is the bot's: ownership is read from the quoted message's
      // sender, so the owner's later presses on the new last part still update it in place.
      const after = target.quotedId === undefined
        ? target
        : { ...target, messageId: target.quotedId };
      // A message that cannot be edited (deleted meanwhile): the reply is sent anew, whole.
      await sendParts(after, edited ? rest : [first, ...rest], keyboard);
    },
    async answerPress(queryId, text, { alert = true } = {}) {
      const shown = text && text.length > PRESS_TEXT_LIMIT
        ? text.slice(0, PRESS_TEXT_LIMIT - 1) + "…"
        : text;
      // A press answered late (or twice) is refused as "query is too old": nothing to retry.
      await call(
        () => api.answerCallbackQuery(queryId, shown ? { text: shown, show_alert: alert } : {}),
        /query is too old|query ID is invalid/,
      );
    },
  };
}
