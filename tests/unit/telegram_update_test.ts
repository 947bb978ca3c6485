/**
 * `readPress`: whose message a pressed button is on. Only a message for the presser may be
 * replaced: their private chat, or in a group the bot's explicit reply to their message. In a
 * forum topic a message that replies to nothing carries the topic's creation message as
 * `reply_to_message` (aiogram#1511; teloxide's `topic_message` test JSON), which names the
 * topic's creator, not whom the message is for. Inline-mode messages name no chat at all.
 */
import type { Update } from "grammy/types";
import { assertEquals } from "../assert.ts";
import { readPress } from "../../adapters/telegram/update.ts";

type Message = Record<string, unknown>;

const CREATOR = 1253681278;
const MEMBER = 5550001;
const BOT = { id: 7000000001, is_bot: true, first_name: "Bot", username: "TestBot" };
const forum = { id: -1001847508954, is_forum: true, title: "twest", type: "supergroup" };
const person = (id: number) => ({ id, is_bot: false, first_name: "Person" });

/** The topic's creation service message (teloxide `topic_created`). */
const created: Message = {
  chat: forum,
  date: 1675229139,
  forum_topic_created: { icon_color: 9367192, icon_custom_emoji_id: "5312536423851630001" },
  from: person(CREATOR),
  is_topic_message: true,
  message_id: 4,
  message_thread_id: 4,
};

/** A member's command in the topic: not a reply, so it carries the creation message. */
const command: Message = {
  chat: forum,
  date: 1675229140,
  from: person(MEMBER),
  is_topic_message: true,
  message_id: 5,
  message_thread_id: 4,
  reply_to_message: created,
  text: "/tasks",
};

/** The bot's message with buttons, in the topic, replying to `replyTo`. */
function botMessage(replyTo: Message | undefined, extra: Message = {}): Message {
  return {
    chat: forum,
    date: 1675229141,
    from: BOT,
    is_topic_message: true,
    message_id: 6,
    message_thread_id: 4,
    ...(replyTo ? { reply_to_message: replyTo } : {}),
    text: "• #1 Task",
    reply_markup: { inline_keyboard: [[{ text: "More", callback_data: "x" }]] },
    ...extra,
  };
}

function press(fromId: number, message?: Message, extra: Message = {}): Update {
  return {
    update_id: 1,
    callback_query: {
      id: "4382bfdwdsb323b2d9",
      from: person(fromId),
      chat_instance: "-1",
      data: "x",
      ...(message ? { message } : {}),
      ...extra,
    },
  } as unknown as Update;
}

Deno.test("readPress: a forum topic's creation message attributes nothing", () => {
  // The bot's message quotes no one (the command was deleted first): it carries the creation
  // message, whose author is the topic's creator.
  const p = readPress(press(CREATOR, botMessage(created)))!;
  assertEquals(p.ownMessage, false);
  assertEquals(p.message, { chatId: forum.id, private: false, messageId: 6, threadId: 4 });
  // The same without `forum_topic_created` (a client that leaves it out): the thread's root
  // message is still not an explicit reply.
  const { forum_topic_created: _, ...root } = created;
  assertEquals(readPress(press(CREATOR, botMessage(root)))!.ownMessage, false);
});

Deno.test("readPress: an explicit reply in a topic attributes the message", () => {
  assertEquals(readPress(press(MEMBER, botMessage(command)))!.ownMessage, true);
  assertEquals(readPress(press(CREATOR, botMessage(command)))!.ownMessage, false);
});

Deno.test("readPress: groups, private chats, inline and inaccessible messages", () => {
  const group = { id: -1001234567890, title: "Team", type: "supergroup" };
  // An ordinary supergroup sets the thread id to the reply chain's root, here the command.
  const mine = { message_id: 77, date: 1, chat: group, from: person(MEMBER), text: "/tasks" };
  const reply = {
    message_id: 78,
    date: 2,
    chat: group,
    from: BOT,
    message_thread_id: 77,
    reply_to_message: mine,
    text: "x",
  };
  assertEquals(readPress(press(MEMBER, reply))!.ownMessage, true);
  // What the owner's message quotes: an edit's further parts quote it too.
  assertEquals(readPress(press(MEMBER, reply))!.message?.quotedId, 77);
  assertEquals(readPress(press(CREATOR, reply))!.ownMessage, false);
  assertEquals(readPress(press(CREATOR, reply))!.message?.quotedId, undefined);
  const { reply_to_message: _, ...unquoted } = reply;
  assertEquals(readPress(press(MEMBER, unquoted))!.ownMessage, false);
  const dm = {
    message_id: 3,
    date: 3,
    chat: { id: MEMBER, type: "private" },
    from: BOT,
    text: "x",
  };
  assertEquals(readPress(press(MEMBER, dm))!.ownMessage, true);
  // Inline mode (core.telegram.org's webhook example): no message, nothing attributes it.
  const inline = readPress(press(MEMBER, undefined, { inline_message_id: "1234csdbsk4839" }))!;
  assertEquals([inline.message, inline.ownMessage], [undefined, false]);
  // A message too old to read (InaccessibleMessage, date 0): no reply to check.
  const old = readPress(press(MEMBER, { chat: group, message_id: 9, date: 0 }))!;
  assertEquals(old.ownMessage, false);
});
