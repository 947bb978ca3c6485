/**
 * Telegram test helpers for buttons: callback queries shaped as the Bot API sends them (on a
 * message, or on an inline-mode message, which Telegram names only by its inline_message_id),
 * the answers to a query, and the last message the bot sent to a chat with its keyboard.
 */
import { nextUpdateId, type TestGateway } from "./fixtures.ts";

/** An inline keyboard button as the gateway sends it. */
export type Button = { text: string; callback_data: string };

let queries = 0;

/** A fresh callback query id (Telegram's are large numbers, as strings). */
function queryId(fromId: number): string {
  return `${fromId}${String(++queries).padStart(6, "0")}${nextUpdateId()}`;
}

/** A callback query: `fromId` pressed the button carrying `data` on `message` (a Message). */
export function pressOn(fromId: number, message: Record<string, unknown>, data: string) {
  return {
    update_id: nextUpdateId(),
    callback_query: {
      id: queryId(fromId),
      from: { id: fromId, is_bot: false, first_name: "Presser" },
      chat_instance: "-1234567890",
      message,
      data,
    },
  };
}

/** A callback query on the bot's message `messageId` in `chatId` (private when positive). */
export function pressUpdate(fromId: number, chatId: number, messageId: number, data: string) {
  return pressOn(fromId, {
    message_id: messageId,
    date: Math.floor(Date.now() / 1000),
    chat: chatId > 0
      ? { id: chatId, type: "private", first_name: "User" }
      : { id: chatId, type: "supergroup", title: "Team" },
    from: { id: 7000000001, is_bot: true, first_name: "Bot" },
    text: "…",
  }, data);
}

/**
 * A press on a message sent in inline mode (`@bot query` in any chat): Telegram gives its
 * `inline_message_id` and no message, so nothing says where it is or whom it was for.
 */
export function inlinePress(fromId: number, inlineMessageId: string, data: string) {
  return {
    update_id: nextUpdateId(),
    callback_query: {
      id: queryId(fromId),
      from: { id: fromId, is_bot: false, first_name: "Presser" },
      inline_message_id: inlineMessageId,
      chat_instance: "-987654321",
      data,
    },
  };
}

/** The answerCallbackQuery calls for one query. */
export function answers(gw: TestGateway, queryId: string) {
  return gw.telegram.calls("answerCallbackQuery").filter((c) =>
    c.params.callback_query_id === queryId
  );
}

/** The last message the bot sent to a chat: its text, buttons and the Message Telegram returned. */
export function lastSent(gw: TestGateway, chatId: number) {
  const call = gw.telegram.calls("sendMessage").filter((c) => c.params.chat_id === chatId).at(-1)!;
  const result = (call.response as { result: Record<string, unknown> & { message_id: number } })
    .result;
  const markup = call.params.reply_markup as { inline_keyboard: Button[][] } | undefined;
  return {
    text: String(call.params.text),
    messageId: result.message_id,
    message: result,
    buttons: markup?.inline_keyboard.flat() ?? [],
  };
}
