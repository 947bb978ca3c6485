/**
 * The grammY bot behind the Telegram webhook. `botInfo` comes from the environment, so a cold
 * start makes no getMe call. Each message that is a command for this bot runs once per update
 * (the delivery ledger, keyed by bot id and update_id) as the linked user; everything else is
 * acknowledged. Outgoing calls wait out 429 `retry_after`.
 */
import { Bot, type Context } from "grammy";
import type { UserFromGetMe } from "grammy/types";
import type { TelegramConfig } from "../../supabase/functions/_shared/config.ts";
import type { Core } from "../../supabase/functions/_shared/core.ts";
import { GatewayError } from "../../supabase/functions/_shared/errors.ts";
import type { ChatAccount } from "../../supabase/functions/_shared/principal.ts";
import { answerChat } from "../../supabase/functions/_shared/chat.ts";
import type { AnyCommand } from "../../supabase/functions/_shared/command.ts";
import { once } from "../../supabase/functions/_shared/ledger.ts";
import { telegramMessages } from "./format.ts";
import { commandText, telegramName, textArgs, usage } from "./parse.ts";
import type { RequestRecord } from "../../supabase/functions/_shared/log.ts";
import { offeredOn } from "../../supabase/functions/_shared/command.ts";

/** Longest 429 wait honoured inline; longer ones fail the send (Telegram redelivers). */
const MAX_RETRY_AFTER_SECONDS = 10;

/** The per-update context the middleware reads (set by the route). */
export interface UpdateState {
  record: RequestRecord;
}

/** Builds the bot for `core`. */
export function createTelegramBot(
  core: Core,
  config: TelegramConfig,
  state: Map<number, UpdateState>,
): Bot {
  const botInfo = {
    id: config.botId,
    is_bot: true,
    first_name: config.botUsername,
    username: config.botUsername,
    can_join_groups: true,
    can_read_all_group_messages: false,
    supports_inline_queries: false,
    can_connect_to_business: false,
    has_main_web_app: false,
    has_topics_enabled: false,
    allows_users_to_create_topics: false,
    can_manage_bots: false,
  } as UserFromGetMe;
  const bot = new Bot(config.botToken, {
    botInfo,
    client: { apiRoot: config.apiRoot, fetch: core.fetch as never },
  });

  bot.api.config.use(async (prev, method, payload, signal) => {
    for (let attempt = 1;; attempt++) {
      const result = await prev(method, payload, signal);
      const wait = result.ok ? undefined : result.parameters?.retry_after;
      if (wait === undefined || attempt >= 3 || wait > MAX_RETRY_AFTER_SECONDS) return result;
      await core.sleep(wait * 1000);
    }
  });

  // Only new messages carry commands; edits, channel posts, member updates are acknowledged.
  bot.on("message", async (ctx) => {
    const message = ctx.message;
    const from = message.from;
    if (!from || from.is_bot || message.sender_chat) return;
    const record = state.get(ctx.update.update_id)?.record;
    const text = message.text ?? message.caption ?? "";
    const parsed = commandText(text, config.botUsername);
    if (parsed === "other-bot") return;
    if (parsed === null) {
      // Plain text: a short hint in private chats, silence in groups.
      if (message.chat.type === "private") await send(ctx, "Send /help to see what I can do.");
      return;
    }
    const account: ChatAccount = {
      provider: "telegram",
      externalId: String(from.id),
      username: from.username,
      displayName: [from.first_name, from.last_name].filter(Boolean).join(" ") || undefined,
    };
    const command = core.registry.list().find((c) =>
      telegramName(c.name) === parsed.name && offeredOn(c, "telegram")
    );
    if (record) record.command = command?.name ?? "(unknown)";
    try {
      // Before any database call: a flooding account costs nothing but this reply.
      core.limit(`telegram:${account.externalId}`);
    } catch (err) {
      if (record) record.error_code = "rate_limited";
      await sendAll(ctx, (err as Error).message);
      return;
    }
    const key = `tg:${config.botId}:${ctx.update.update_id}`;
    await once(core.ledger, key, null, {
      run: () => answer(core, account, command, parsed.rest, key, record),
      readOnly: !command || command.readOnly,
      onFinalError: (err) => err.message,
      // Sent before the key is completed: if Telegram cannot be reached, the update is
      // redelivered and the (idempotent) command answers again.
      deliver: (text) => sendAll(ctx, text),
      // Replies are not kept: Telegram does not repeat an update it saw answered.
      stored: () => ({ replied: true }),
      background: (work) => core.background(work),
    });
  });

  return bot;
}

/** The reply text for one command message; final errors become a reply, retryable ones throw. */
async function answer(
  core: Core,
  account: ChatAccount,
  command: AnyCommand | undefined,
  rest: string,
  key: string,
  record: RequestRecord | undefined,
): Promise<string> {
  if (!command) return "Unknown command. Send /help to see what I can do.";
  const { args, extra } = textArgs(command, rest);
  if (extra) return `Too many words. Usage: ${usage(command)}`;
  const answered = await answerChat(core, {
    account,
    command,
    rawArgs: args,
    idempotencyKey: key,
    record,
    badArgs: (err) => `Usage: ${usage(command)}\n${err.message}`,
  });
  return answered.text;
}

async function sendAll(ctx: Context, text: string): Promise<void> {
  for (const chunk of telegramMessages(text)) await send(ctx, chunk, true);
}

/** Sends one message; a Telegram-side refusal (blocked, 400) is final, a failure to reach it is not. */
async function send(ctx: Context, html: string, escaped = false): Promise<void> {
  try {
    await ctx.api.sendMessage(ctx.chat!.id, escaped ? html : telegramMessages(html)[0], {
      parse_mode: "HTML",
      link_preview_options: { is_disabled: true },
      ...(ctx.chat!.type === "private" ? {} : {
        reply_parameters: {
          message_id: ctx.message!.message_id,
          allow_sending_without_reply: true,
        },
      }),
      ...(ctx.message?.message_thread_id
        ? { message_thread_id: ctx.message.message_thread_id }
        : {}),
    });
  } catch (err) {
    const code = (err as { error_code?: number }).error_code;
    if (code !== undefined && code >= 400 && code < 500 && code !== 429) return;
    throw new GatewayError(503, "upstream_error", "Telegram could not be reached; retry later.");
  }
}
