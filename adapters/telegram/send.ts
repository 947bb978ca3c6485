/**
 * Sending replies to Telegram with grammY's `Api`: escaped HTML, split at 4096 characters,
 * quoting the message in groups, in the message's forum topic when it has one. A 429 is waited
 * out (up to 10 s); a refusal by Telegram (4xx: the bot was blocked, the chat is gone) is final;
 * Telegram out of reach is a 503 so the update is redelivered.
 */
import { Api, GrammyError } from "grammy";
import type { TelegramConfig } from "../../supabase/functions/_shared/config.ts";
import type { Core } from "../../supabase/functions/_shared/core.ts";
import { GatewayError } from "../../supabase/functions/_shared/errors.ts";
import { telegramMessages } from "./format.ts";
import type { ReplyTarget } from "./update.ts";

/** Longest 429 wait honoured inline; longer ones fail the send (Telegram redelivers). */
const MAX_RETRY_AFTER_SECONDS = 10;

/** Sends a reply's text to a target. */
export type TelegramSender = (target: ReplyTarget, text: string) => Promise<void>;

/** Builds the sender over grammY's API client. */
export function createSender(
  core: Pick<Core, "fetch" | "sleep" | "log">,
  config: TelegramConfig,
): TelegramSender {
  const api = new Api(config.botToken, { apiRoot: config.apiRoot, fetch: core.fetch as never });
  api.config.use(async (prev, method, payload, signal) => {
    for (let attempt = 1;; attempt++) {
      const result = await prev(method, payload, signal);
      const wait = result.ok ? undefined : result.parameters?.retry_after;
      if (wait === undefined || attempt >= 3 || wait > MAX_RETRY_AFTER_SECONDS) return result;
      await core.sleep(wait * 1000);
    }
  });
  return async (target, text) => {
    for (const chunk of telegramMessages(text)) {
      try {
        await api.sendMessage(target.chatId, chunk, {
          parse_mode: "HTML",
          link_preview_options: { is_disabled: true },
          ...(target.private ? {} : {
            reply_parameters: { message_id: target.messageId, allow_sending_without_reply: true },
          }),
          ...(target.threadId === undefined ? {} : { message_thread_id: target.threadId }),
        });
      } catch (err) {
        if (err instanceof GrammyError && err.error_code >= 400 && err.error_code < 500) {
          if (err.error_code !== 429) {
            // Telegram will never take this message (blocked, chat gone): retrying cannot help.
            core.log.warn("telegram refused a reply", {
              error_code: err.error_code,
              description: err.description.slice(0, 200),
            });
            return;
          }
        }
        throw new GatewayError(
          503,
          "upstream_error",
          "Telegram could not be reached; retry later.",
        );
      }
    }
  };
}
