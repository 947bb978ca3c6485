/**
 * A Telegram update, read once: which messages are ours to answer, who sent them, where the reply
 * goes and which command they name. Telegram sends many kinds of updates and messages; the gateway
 * answers only text messages from people that are commands for this bot, plus a hint for plain
 * text in a private chat. Everything else (edits, channel posts, media, service messages, other
 * bots' commands, malformed shapes) is `null`: acknowledged and left alone.
 */
import type { Message, Update } from "grammy/types";
import type { AnyCommand } from "../../supabase/functions/_shared/command.ts";
import { GatewayError } from "../../supabase/functions/_shared/errors.ts";
import type { ChatAccount } from "../../supabase/functions/_shared/principal.ts";
import { commandText, telegramName, textArgs } from "./parse.ts";

/** Where a reply to the message goes. */
export interface ReplyTarget {
  chatId: number;
  /** Private chats get plain replies; in groups the reply quotes the message. */
  private: boolean;
  messageId: number;
  /** Only for messages in a forum topic: Telegram refuses a thread id anywhere else. */
  threadId?: number;
  /**
   * What a pressed message quotes (in a group, the command it answers): the parts an edit adds
   * after it quote that too, so they stay the command owner's to press.
   */
  quotedId?: number;
}

/** A message the gateway answers. */
export interface TelegramRequest {
  account: ChatAccount;
  target: ReplyTarget;
  /** The registry name of the command, or the name as typed when no command has it. */
  command: string;
  args: Record<string, unknown> | GatewayError;
  /** Plain text in a private chat: not a command, answered with a hint. */
  plainText: boolean;
}

const isInt = (v: unknown): v is number => Number.isSafeInteger(v);

/** The update's message as the gateway reads it, or null when there is nothing to answer. */
export function readUpdate(
  update: Update,
  commands: readonly AnyCommand[],
  botUsername: string,
): TelegramRequest | null {
  const message = update.message as Partial<Message> | null | undefined;
  if (typeof message !== "object" || message === null) return null;
  const { from, chat } = message;
  if (typeof from !== "object" || from === null || !isInt(from.id) || from.is_bot === true) {
    return null;
  }
  if (message.sender_chat) return null; // sent on behalf of a channel or group: no person
  if (typeof chat !== "object" || chat === null || !isInt(chat.id)) return null;
  if (!isInt(message.message_id) || typeof message.text !== "string") return null;
  const isPrivate = chat.type === "private";
  const target: ReplyTarget = {
    chatId: chat.id,
    private: isPrivate,
    messageId: message.message_id,
    ...(message.is_topic_message === true && isInt(message.message_thread_id)
      ? { threadId: message.message_thread_id }
      : {}),
  };
  const account: ChatAccount = {
    provider: "telegram",
    externalId: String(from.id),
    username: typeof from.username === "string" ? from.username : undefined,
    displayName: [from.first_name, from.last_name]
      .filter((part) => typeof part === "string" && part).join(" ") || undefined,
  };
  const parsed = commandText(message.text, botUsername);
  if (parsed === "other-bot") return null;
  if (parsed === null) {
    // Plain text: a hint in private chats, silence in groups.
    return isPrivate ? { account, target, command: "", args: {}, plainText: true } : null;
  }
  const command = commands.find((c) => telegramName(c.name) === parsed.name);
  // In a group a bare command nobody here defined is meant for another bot: stay out of it.
  if (!command && !isPrivate && !parsed.mentioned) return null;
  if (!command) return { account, target, command: parsed.name, args: {}, plainText: false };
  const { args, extra } = textArgs(command, parsed.rest);
  return {
    account,
    target,
    command: command.name,
    args: extra ? new GatewayError(400, "invalid_args", "Too many words.") : args,
    plainText: false,
  };
}

/** Whether a parsed body has the one field every update has. */
export function isUpdate(value: unknown): value is Update {
  return typeof value === "object" && value !== null &&
    isInt((value as { update_id?: unknown }).update_id);
}

/** A pressed inline button (a `callback_query`) the gateway answers. */
export interface TelegramPress {
  /** Who pressed: the action runs as this account's linked user, whoever the message was for. */
  account: ChatAccount;
  queryId: string;
  /** The button's `callback_data`, not yet verified. */
  data: unknown;
  /** The message the button is on (absent for inline-mode messages, which name no chat). */
  message?: ReplyTarget;
  /**
   * Whether the message was for the presser (their private chat, or in a group the bot's
   * explicit reply to their own message): only then is the answer shown where they pressed.
   * Any other press is answered to the presser alone, so one member neither overwrites what
   * another was shown nor shows their own data to the group.
   */
  ownMessage: boolean;
}

/** The update's button press, or null when it is not one the gateway handles. */
export function readPress(update: Update): TelegramPress | null {
  const query = update.callback_query as Partial<Update["callback_query"]> | null | undefined;
  if (typeof query !== "object" || query === null) return null;
  const { from, id } = query as { from?: Partial<Message["from"]>; id?: unknown };
  if (typeof id !== "string" || id === "") return null;
  if (typeof from !== "object" || from === null || !isInt(from.id) || from.is_bot === true) {
    return null;
  }
  const message = query.message as Partial<Message> | null | undefined;
  const chat = message?.chat;
  const target: ReplyTarget | undefined =
    typeof chat === "object" && chat !== null && isInt(chat.id) &&
      isInt(message?.message_id)
      ? {
        chatId: chat.id,
        private: chat.type === "private",
        messageId: message!.message_id!,
        ...(message!.is_topic_message === true && isInt(message!.message_thread_id)
          ? { threadId: message!.message_thread_id }
          : {}),
      }
      : undefined;
  const own = target !== undefined &&
    (target.private ? target.chatId === from.id : repliesTo(message!, from.id));
  // A group message that is the presser's quotes their command: an edit's new parts quote it too.
  if (own && !target.private) target.quotedId = message!.reply_to_message!.message_id;
  return {
    account: {
      provider: "telegram",
      externalId: String(from.id),
      username: typeof from.username === "string" ? from.username : undefined,
      displayName: [from.first_name, from.last_name]
        .filter((part) => typeof part === "string" && part).join(" ") || undefined,
    },
    queryId: id,
    data: query.data,
    ...(target ? { message: target } : {}),
    ownMessage: own,
  };
}

/**
 * Whether a group message is an explicit reply to a message of `userId`. In a forum topic, a
 * message that replies to nothing still carries the topic's creation message as
 * `reply_to_message` (aiogram#1511): that names whoever created the topic, not whom the
 * message is for, so the topic's root never attributes a message.
 */
function repliesTo(message: Partial<Message>, userId: number): boolean {
  const replied = message.reply_to_message as Partial<Message> | undefined;
  if (typeof replied !== "object" || replied === null) return false;
  if (replied.forum_topic_created !== undefined) return false;
  if (message.is_topic_message === true && replied.message_id === message.message_thread_id) {
    return false;
  }
  return replied.from?.id === userId;
}
