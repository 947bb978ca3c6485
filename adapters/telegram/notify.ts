/**
 * Notifications on Telegram: `sendMessage` to the linked user's private chat (its chat id is the
 * user's id) from the bot the notification names, the text escaped for HTML like every reply and
 * the buttons as an inline keyboard signed with that bot's button key (so a press reaches that
 * bot's route and runs as the presser). What Telegram answers becomes what the user reads in
 * `notification_deliveries` (`telegramResult`): a 429 is retried after its `retry_after`; a block,
 * a deactivated account, a chat the bot may not open are final.
 */
import type { ActionRows } from "../../supabase/functions/_shared/actions.ts";
import type { TelegramBot } from "../../supabase/functions/_shared/bots.ts";
import type { Core } from "../../supabase/functions/_shared/core.ts";
import type { BotNotifier, ProviderNotifier, SendResult } from "../notify/senders.ts";
import { perBot } from "../notify/per_bot.ts";
import { SEND_TIMEOUT_MS, timedFetch } from "../notify/timed_fetch.ts";
import { escapeHtml } from "./format.ts";

/**
 * Telegram's limits: about 30 messages a second per bot, one a second per chat. Kept a little
 * under both: sends paced exactly at the limit meet its flood control whenever the network adds
 * a few milliseconds of jitter (measured: 7 of 300 answered 429 at 30/s and 1 s, none here).
 */
const PACE = { perSecond: 28, chatIntervalMs: 1_050 };

/** The Telegram sender of the notification table. */
export function telegramNotifier(core: Core): ProviderNotifier {
  return perBot("Telegram", core.config.telegramBots, (bot) => botNotifier(core, bot));
}

function botNotifier(core: Core, bot: TelegramBot): BotNotifier {
  // The same key the bot's webhook verifies presses with.
  const codec = core.botActions("telegram", bot.name);
  const url = `${bot.apiRoot}/bot${bot.token}/sendMessage`;
  const keyboard = (rows: ActionRows | null) =>
    rows?.length
      ? {
        reply_markup: {
          inline_keyboard: rows.map((row) =>
            row.map((a) => ({ text: a.label, callback_data: codec.encode(a) }))
          ),
        },
      }
      : {};
  return {
    scope: core.bots.get("telegram", bot.name)!,
    pace: PACE,
    async send(to, actions) {
      let res: Response;
      let answer: TelegramAnswer | null;
      try {
        res = await timedFetch(core.fetch, url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            chat_id: to.externalId,
            text: escapeHtml(to.text),
            parse_mode: "HTML",
            link_preview_options: { is_disabled: true },
            ...keyboard(actions),
          }),
        }, SEND_TIMEOUT_MS);
        answer = await res.json().catch(() => null);
      } catch {
        return { status: "retry", error: "Telegram could not be reached" };
      }
      return telegramResult(res.status, answer);
    },
  };
}

/** The parts of a Bot API answer the result depends on. */
export interface TelegramAnswer {
  ok?: boolean;
  error_code?: number;
  description?: string;
  parameters?: { retry_after?: number };
}

/** What an answer to `sendMessage` means for the delivery, in the recipient's words. */
export function telegramResult(status: number, answer: TelegramAnswer | null): SendResult {
  if (status === 200 && answer?.ok) return { status: "sent" };
  const description = String(answer?.description ?? "").slice(0, 200);
  const code = answer?.error_code ?? status;
  if (code === 429) {
    const seconds = Number(answer?.parameters?.retry_after);
    const wait = Number.isFinite(seconds) && seconds > 0 ? seconds : 1;
    return { status: "retry", error: `Telegram asked to wait ${wait} s`, afterMs: wait * 1000 };
  }
  if (code === 403) {
    if (/blocked by the user/i.test(description)) {
      return { status: "failed", error: "not sent: you blocked the bot on Telegram" };
    }
    if (/deactivated/i.test(description)) {
      return { status: "failed", error: "not sent: the Telegram account is deactivated" };
    }
    if (/can't initiate conversation/i.test(description)) {
      return {
        status: "failed",
        error: "not sent: you have not started the bot on Telegram (open it and press Start)",
      };
    }
    return { status: "failed", error: `not sent: Telegram refused (${description || "403"})` };
  }
  if (code === 400) {
    if (/chat not found/i.test(description)) {
      return {
        status: "failed",
        error: "not sent: the bot has no chat with you on Telegram (open it and press Start)",
      };
    }
    return {
      status: "failed",
      error: `not sent: Telegram refused the message (${description || "400"})`,
    };
  }
  if (code === 401 || code === 404) {
    // The bot's token is wrong: the operator's to fix; the row waits and retries meanwhile.
    return { status: "retry", error: "Telegram refused the bot's token" };
  }
  return { status: "retry", error: `Telegram answered ${status}` };
}
