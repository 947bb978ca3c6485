/**
 * Telegram sink helper: the Bot API message methods (`sendMessage`, `editMessageText`,
 * `editMessageReplyMarkup`, `deleteMessage`, `answerCallbackQuery`, `sendChatAction`) with
 * Telegram's validation and error wording, and the table of every method the sink serves.
 *
 * @module
 */

import { SETTINGS_METHODS } from "./telegram_settings.ts";
import {
  bad,
  type BotState,
  type MethodEntry,
  type MethodOutcome,
  type Params,
} from "./telegram_state.ts";
import { EntityParseError, renderTelegramText } from "./telegram_text.ts";

const NOT_MODIFIED = "message is not modified: specified new message content and reply markup " +
  "are exactly the same as a current content and reply markup of the message";
const CHAT_ACTIONS = new Set(
  ("typing upload_photo record_video upload_video record_voice upload_voice upload_document " +
    "choose_sticker find_location record_video_note upload_video_note").split(" "),
);

function resolveChat(p: Params): { key: string; chat: Record<string, unknown> } {
  const raw = p.chat_id;
  if (raw === undefined || raw === null || raw === "") throw bad("chat_id is empty");
  if (typeof raw === "string" && /^@[A-Za-z][A-Za-z0-9_]{3,31}$/.test(raw)) {
    const username = raw.slice(1);
    let hash = 0;
    for (const ch of username.toLowerCase()) hash = (hash * 31 + ch.charCodeAt(0)) % 1e9;
    const id = -1001000000000 - hash;
    return { key: String(id), chat: { id, title: username, username, type: "channel" } };
  }
  const id = typeof raw === "number" ? raw : /^\s*-?\d+\s*$/.test(String(raw)) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(id) || id === 0) throw bad("chat not found");
  const chat = id > 0
    ? { id, first_name: "User", type: "private" }
    : id <= -1e12
    ? { id, title: "Supergroup", type: "supergroup" }
    : { id, title: "Group", type: "group" };
  return { key: String(id), chat };
}

/** Validates `text` with `parse_mode` and returns the text Telegram would store. */
function messageText(p: Params): string {
  const raw = typeof p.text === "string" || typeof p.text === "number" ? String(p.text) : "";
  if (raw.trim() === "") throw bad("message text is empty");
  let shown: string;
  try {
    shown = renderTelegramText(raw, p.parse_mode).trim();
  } catch (err) {
    if (err instanceof EntityParseError) throw bad(`can't parse entities: ${err.message}`);
    throw err;
  }
  if (shown === "") throw bad("message text is empty");
  if (shown.length > 4096) throw bad("message is too long");
  return shown;
}

function messageId(p: Params): number {
  const id = Number(p.message_id);
  if (!Number.isSafeInteger(id) || id <= 0) throw bad("message identifier is not specified");
  return id;
}

function withMarkup(message: Record<string, unknown>, markup: unknown): Record<string, unknown> {
  const out = { ...message };
  delete out.reply_markup;
  if (markup && typeof markup === "object" && "inline_keyboard" in markup) {
    out.reply_markup = markup;
  }
  return out;
}

function newMessage(bot: BotState, chat: Record<string, unknown>, id: number, now: number) {
  const sender = chat.type === "channel" ? { sender_chat: chat } : { from: pick(bot.user) };
  return { message_id: id, ...sender, chat, date: now };
}

function pick(user: Record<string, unknown>) {
  return { id: user.id, is_bot: true, first_name: user.first_name, username: user.username };
}

/**
 * What a sent message carries for its `reply_parameters`: the replied message as
 * `reply_to_message` (without its own reply_to_message, as Telegram gives it), when the chat has
 * it; a message it does not have is refused unless `allow_sending_without_reply`.
 */
function repliedTo(state: ReturnType<BotState["chat"]>, raw: unknown): Record<string, unknown> {
  if (typeof raw !== "object" || raw === null) return {};
  const { message_id: id, allow_sending_without_reply: anyway } = raw as Record<string, unknown>;
  const found = state.messages.get(Number(id))?.message ?? state.received.get(Number(id));
  if (!found) {
    if (anyway === true) return {};
    throw bad("message to be replied not found");
  }
  const { reply_to_message: _, ...quoted } = found;
  return { reply_to_message: quoted };
}

/** Shared by editMessageText (text given) and editMessageReplyMarkup (text kept). */
function edit(bot: BotState, p: Params, now: number, text: string | undefined): MethodOutcome {
  if (p.inline_message_id !== undefined) return { result: true };
  const { key } = resolveChat(p);
  const id = messageId(p);
  const state = bot.chat(key);
  const prev = state.messages.get(id);
  // As Telegram: only a message the bot sent (and did not delete) can be edited.
  if (!prev) throw bad("message to edit not found");
  const markup = JSON.stringify(p.reply_markup ?? null);
  const newText = text ?? prev.text;
  if (prev.text === newText && prev.markup === markup) throw bad(NOT_MODIFIED);
  const message = withMarkup({ ...prev.message, text: newText, edit_date: now }, p.reply_markup);
  state.messages.set(id, { text: newText, markup, message });
  return { result: message };
}

const MESSAGE_METHODS: MethodEntry[] = [
  {
    name: "sendMessage",
    run(bot, p, now) {
      const text = messageText(p);
      const { key, chat } = resolveChat(p);
      // Only a user who started the bot can be written to in private (see BotState.note).
      const refusal = chat.type === "private" ? bot.privateChatRefusal(Number(key)) : null;
      if (refusal) throw refusal;
      if (p.message_thread_id !== undefined) {
        const thread = Number(p.message_thread_id);
        // tdlib/telegram-bot-api#447: only forum topics take a thread id.
        if (!bot.forumTopics.get(key)?.has(thread)) throw bad("message thread not found");
      }
      const state = bot.chat(key);
      const quoted = repliedTo(state, p.reply_parameters);
      const id = state.nextId++;
      const message = withMarkup(
        { ...newMessage(bot, chat, id, now), ...quoted, text },
        p.reply_markup,
      );
      state.messages.set(id, { text, markup: JSON.stringify(p.reply_markup ?? null), message });
      return { result: message };
    },
  },
  { name: "editMessageText", run: (bot, p, now) => edit(bot, p, now, messageText(p)) },
  { name: "editMessageReplyMarkup", run: (bot, p, now) => edit(bot, p, now, undefined) },
  {
    name: "deleteMessage",
    run(bot, p) {
      const { key } = resolveChat(p);
      const id = messageId(p);
      const state = bot.chat(key);
      if (state.deleted.has(id)) throw bad("message to delete not found");
      state.deleted.add(id);
      state.messages.delete(id);
      return { result: true };
    },
  },
  {
    name: "answerCallbackQuery",
    run(_bot, p) {
      if (typeof p.callback_query_id !== "string" || p.callback_query_id === "") {
        throw bad("query is too old and response timeout expired or query ID is invalid");
      }
      // The notification or alert holds 0-200 characters.
      if (typeof p.text === "string" && p.text.length > 200) throw bad("MESSAGE_TOO_LONG");
      return { result: true };
    },
  },
  {
    name: "sendChatAction",
    run(_bot, p) {
      resolveChat(p);
      if (!CHAT_ACTIONS.has(String(p.action))) throw bad("wrong parameter action in request");
      return { result: true };
    },
  },
];

/** The supported methods, keyed by lower-case name (Bot API method names are case-insensitive). */
export const METHODS: ReadonlyMap<string, MethodEntry> = new Map(
  [...SETTINGS_METHODS, ...MESSAGE_METHODS].map((e) => [e.name.toLowerCase(), e]),
);
