/**
 * Telegram presses the gateway cannot answer in place, on the real stack: a press on another
 * member's message in a group, in a forum topic (where a message that quotes no one carries the
 * topic's creation message as `reply_to_message`), and on an inline-mode message. Each is
 * answered to the presser alone: a private message when they started the bot, else an alert;
 * nothing of theirs reaches the group. And a reply too long for one message, edited in place,
 * is shown whole.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import {
  integration,
  linkCodeFor,
  linkTelegram,
  newUser,
  postUpdate,
  psql,
  randomExternalId,
  startGateway,
  telegramMessage,
  type TestGateway,
  tokenFor,
} from "../fixtures.ts";
import {
  answers,
  type Button,
  inlinePress,
  lastSent,
  pressOn,
  pressUpdate,
} from "../telegram_fixtures.ts";

type Message = Record<string, unknown>;

async function addTasks(userId: string, count: number, prefix: string, pad = 0) {
  const out = await psql(
    `insert into tasks (user_id, title, source)
     select '${userId}', '${prefix} ' || n || repeat(' x', ${pad}), 'web'
     from generate_series(1, ${count}) n returning id`,
  );
  return out.split("\n").filter(Boolean).map(Number);
}

/** A linked account; `started` false links it from a group, so it never wrote to the bot. */
async function linked(gw: TestGateway, started = true, group = -1001000000001) {
  const user = await newUser();
  const tg = Number(randomExternalId());
  const code = await linkCodeFor(await tokenFor(user));
  if (started) {
    assertMatch(await linkTelegram(gw, String(tg), code), /Linked!/);
  } else {
    const text = `/link@${gw.env.TELEGRAM_BOT_USERNAME} ${code}`;
    await postUpdate(gw, telegramMessage({ fromId: String(tg), text, chat: supergroup(group) }));
    assertMatch(lastSent(gw, group).text, /Linked!/);
  }
  return { user, tg };
}

function supergroup(id: number) {
  return { id, type: "supergroup" as const };
}

/** Every message and edit the bot sent to `chatId` since call number `from`. */
function shownIn(gw: TestGateway, chatId: number, from: number): string {
  return gw.telegram.sent.slice(from)
    .filter((c) => ["sendMessage", "editMessageText"].includes(c.method))
    .filter((c) => Number(c.params.chat_id) === chatId)
    .map((c) => String(c.params.text)).join("\n");
}

function privateMessages(gw: TestGateway, tg: number) {
  return gw.telegram.calls("sendMessage").filter((c) => c.params.chat_id === tg);
}

const more = (buttons: Button[]) => buttons.find((b) => b.text === "More")!.callback_data;

Deno.test("a press on another member's message in a group", integration, async (t) => {
  const gw = await startGateway();
  const group = -1001000000001;
  try {
    const alice = await linked(gw);
    const bob = await linked(gw);
    const carol = await linked(gw, false, group);
    await addTasks(alice.user.id, 20, "Alice task");
    await addTasks(bob.user.id, 20, "Bob secret");
    await addTasks(carol.user.id, 20, "Carol secret");
    const command = telegramMessage({
      fromId: String(alice.tg),
      text: "/tasks",
      chat: supergroup(group),
    });
    await postUpdate(gw, command);
    const list = lastSent(gw, group);
    // As Telegram delivers it in a press: the bot's message, quoting alice's command.
    const message = { ...list.message, reply_to_message: command.message };
    let pressed: ReturnType<typeof pressOn> | undefined;

    await t.step("bob's More under alice's list: bob's tasks reach bob alone", async () => {
      const before = gw.telegram.sent.length;
      const press = pressOn(bob.tg, message, more(list.buttons));
      assertEquals((await postUpdate(gw, press)).status, 200);
      assert(!/Bob secret/.test(shownIn(gw, group, before)), "bob's tasks were shown to the group");
      assertEquals(gw.telegram.calls("editMessageText").length, 0, "alice's list was edited");
      const [dm] = privateMessages(gw, bob.tg).filter((c) =>
        /Bob secret/.test(String(c.params.text))
      );
      assert(dm, "bob got nothing in private");
      assertEquals(dm.status, 200);
      const [answer] = answers(gw, press.callback_query.id);
      assertEquals(answers(gw, press.callback_query.id).length, 1);
      assert(answer.params.show_alert !== true, "a notice, not an alert");
      assertMatch(String(answer.params.text), /private/);
      pressed = press;
    });

    await t.step(
      "the same press redelivered: still one private message and one answer",
      async () => {
        const dms = privateMessages(gw, bob.tg).length;
        assertEquals((await postUpdate(gw, pressed!)).status, 200);
        assertEquals(privateMessages(gw, bob.tg).length, dms);
        assertEquals(answers(gw, pressed!.callback_query.id).length, 1);
      },
    );

    await t.step("carol never started the bot: an alert says where to ask", async () => {
      const before = gw.telegram.sent.length;
      const press = pressOn(carol.tg, message, more(list.buttons));
      assertEquals((await postUpdate(gw, press)).status, 200);
      assert(!/Carol secret/.test(shownIn(gw, group, before)), "carol's tasks shown to the group");
      const refused = privateMessages(gw, carol.tg).at(-1)!;
      assertEquals(refused.status, 403);
      assertEquals(
        (refused.response as { description: string }).description,
        "Forbidden: bot can't initiate conversation with a user",
      );
      const all = answers(gw, press.callback_query.id);
      assertEquals(all.length, 1, "the press is answered once");
      assertEquals(all[0].params.show_alert, true);
      const bot = gw.env.TELEGRAM_BOT_USERNAME;
      assertMatch(String(all[0].params.text), new RegExp(`private chat with @${bot}.*/tasks`, "s"));
    });

    await t.step("alice's own press still refreshes her list in place", async () => {
      const press = pressOn(alice.tg, message, more(list.buttons));
      assertEquals((await postUpdate(gw, press)).status, 200);
      const edit = gw.telegram.calls("editMessageText").at(-1)!;
      assertEquals(edit.params.message_id, list.messageId);
      assertMatch(String(edit.params.text), /Alice task/);
    });
  } finally {
    await gw.close();
  }
});

Deno.test("a forum topic: only an explicit reply attributes a message", integration, async (t) => {
  const gw = await startGateway();
  const forum = -1001000000002;
  const chat = { id: forum, type: "supergroup", title: "Team", is_forum: true };
  gw.telegram.addForumTopic(forum, 4);
  try {
    const alice = await linked(gw);
    const bob = await linked(gw);
    await addTasks(alice.user.id, 20, "Alice task");
    await addTasks(bob.user.id, 20, "Bob secret");
    // Alice created the topic: its service message (teloxide's topic_created shape).
    const created: Message = {
      message_id: 4,
      from: { id: alice.tg, is_bot: false, first_name: "Alice" },
      chat,
      date: 1675229139,
      message_thread_id: 4,
      is_topic_message: true,
      forum_topic_created: { name: "Chores", icon_color: 9367192 },
    };
    // Bob's /tasks in the topic: not a reply, so it carries the creation message.
    const command = telegramMessage({ fromId: String(bob.tg), text: "/tasks" }) as {
      message: Message;
    };
    Object.assign(command.message, {
      chat,
      message_thread_id: 4,
      is_topic_message: true,
      reply_to_message: created,
    });
    await postUpdate(gw, command);
    const list = lastSent(gw, forum);
    assertMatch(list.text, /Bob secret/);
    const inTopic = { ...list.message, message_thread_id: 4, is_topic_message: true };

    await t.step(
      "the creator's press on a message quoting no one is answered privately",
      async () => {
        // Bob's command was gone before the answer, so it quotes no one: in a topic it still
        // carries the creation message, whose author is alice.
        const before = gw.telegram.sent.length;
        const press = pressOn(
          alice.tg,
          { ...inTopic, reply_to_message: created },
          more(list.buttons),
        );
        assertEquals((await postUpdate(gw, press)).status, 200);
        assertEquals(gw.telegram.calls("editMessageText").length, 0, "bob's list was overwritten");
        assert(!/Alice task/.test(shownIn(gw, forum, before)), "alice's tasks shown to the group");
        assertMatch(String(privateMessages(gw, alice.tg).at(-1)!.params.text), /Alice task/);
        assertEquals(answers(gw, press.callback_query.id).length, 1);
      },
    );

    await t.step("a write answered privately and redelivered is done and told once", async () => {
      // Bob's own Done on his list, which quotes no one: nothing says it is his, so private.
      const done = list.buttons.find((b) => b.text.startsWith("Done #"))!;
      const id = Number(done.text.slice("Done #".length));
      const press = pressOn(bob.tg, { ...inTopic, reply_to_message: created }, done.callback_data);
      const dms = privateMessages(gw, bob.tg).length;
      assertEquals((await postUpdate(gw, press)).status, 200);
      assertEquals(await psql(`select done from tasks where id = ${id}`), "t");
      await gw.handler.core.drain(); // the ledger's completion
      await psql(`update tasks set done = false where id = ${id}`);
      assertEquals((await postUpdate(gw, press)).status, 200);
      assertEquals(await psql(`select done from tasks where id = ${id}`), "f", "run again");
      const sent = privateMessages(gw, bob.tg).slice(dms);
      assertEquals(sent.length, 1);
      assertMatch(String(sent[0].params.text), new RegExp(`Done: #${id}`));
      assertEquals(answers(gw, press.callback_query.id).length, 1);
      assertEquals(gw.telegram.calls("editMessageText").length, 0);
    });

    await t.step("the member whose command it answers has it refreshed in place", async () => {
      const mine = { ...inTopic, reply_to_message: command.message };
      const press = pressOn(bob.tg, mine, more(list.buttons));
      assertEquals((await postUpdate(gw, press)).status, 200);
      const edit = gw.telegram.calls("editMessageText").at(-1)!;
      assertEquals(edit.params.message_id, list.messageId);
      assertMatch(String(edit.params.text), /Bob secret/);
    });
  } finally {
    await gw.close();
  }
});

Deno.test("a press on an inline-mode message is answered privately", integration, async (t) => {
  const gw = await startGateway();
  try {
    const bob = await linked(gw);
    const carol = await linked(gw, false);
    await addTasks(bob.user.id, 20, "Bob secret");
    await addTasks(carol.user.id, 20, "Carol secret");
    await postUpdate(gw, telegramMessage({ fromId: String(bob.tg), text: "/tasks" }));
    const data = more(lastSent(gw, bob.tg).buttons);

    await t.step("one who started the bot gets the answer in private", async () => {
      const dms = privateMessages(gw, bob.tg).length;
      const press = inlinePress(bob.tg, "AgAAAEsAAAB1Ygmq-inline", data);
      assertEquals((await postUpdate(gw, press)).status, 200);
      const sent = privateMessages(gw, bob.tg).slice(dms);
      assertEquals(sent.length, 1);
      assertMatch(String(sent[0].params.text), /Bob secret/);
      assertEquals(answers(gw, press.callback_query.id).length, 1);
    });

    await t.step("one who did not gets an alert", async () => {
      const press = inlinePress(carol.tg, "AgAAAEsAAAB1Ygmq-inline", data);
      assertEquals((await postUpdate(gw, press)).status, 200);
      const [answer] = answers(gw, press.callback_query.id);
      assertEquals(answer.params.show_alert, true);
      assertMatch(String(answer.params.text), /private chat/);
    });
  } finally {
    await gw.close();
  }
});

Deno.test("a long reply edited in place is shown whole", integration, async () => {
  const gw = await startGateway();
  try {
    const dave = await linked(gw);
    // 15 tasks (one page) of ~420 characters: the list takes two messages.
    const ids = await addTasks(dave.user.id, 15, "Long", 200);
    const sends = privateMessages(gw, dave.tg).length;
    await postUpdate(gw, telegramMessage({ fromId: String(dave.tg), text: "/tasks" }));
    const first = lastSent(gw, dave.tg);
    assert(privateMessages(gw, dave.tg).length - sends >= 2, "the list was not split");
    const done = first.buttons.find((b) => b.text === `Done #${ids[0]}`)!;
    const before = gw.telegram.sent.length;
    const press = pressUpdate(dave.tg, dave.tg, first.messageId, done.callback_data);
    assertEquals((await postUpdate(gw, press)).status, 200);

    const calls = gw.telegram.sent.slice(before).filter((c) => c.method !== "answerCallbackQuery");
    assertEquals(calls[0].method, "editMessageText");
    assertEquals(calls[0].params.message_id, first.messageId);
    for (const c of calls) assertEquals(c.status, 200, JSON.stringify(c.response));
    const shown = calls.map((c) => String(c.params.text)).join("\n");
    for (const id of ids) assertMatch(shown, new RegExp(`#${id} Long`), `#${id} not shown`);
    // The keyboard is under the last part only, and each button's task is shown.
    const keyboards = calls.map((c) =>
      (c.params.reply_markup as { inline_keyboard: Button[][] } | undefined)?.inline_keyboard
    );
    assert(keyboards.slice(0, -1).every((k) => k === undefined), "a keyboard above the end");
    const buttons = keyboards.at(-1)!.flat();
    assertEquals(buttons.length, 14);
    for (const b of buttons) assertMatch(shown, new RegExp(`${b.text.replace("Done ", "")} Long`));
    assertEquals(answers(gw, press.callback_query.id).length, 1);
  } finally {
    await gw.close();
  }
});

Deno.test(
  "in a group, a long reply stays its owner's through in-place edits",
  integration,
  async () => {
    const gw = await startGateway();
    const group = -1001000000077;
    try {
      const erin = await linked(gw);
      await addTasks(erin.user.id, 15, "Long", 200);
      const command = telegramMessage({
        fromId: String(erin.tg),
        text: `/tasks@${gw.env.TELEGRAM_BOT_USERNAME}`,
        chat: supergroup(group),
      });
      await postUpdate(gw, command);
      const commandId = (command.message as { message_id: number }).message_id;
      /** The last message the bot sent to the group, as a press on it carries it. */
      const pressed = () => {
        const call = gw.telegram.calls("sendMessage").filter((c) => c.params.chat_id === group)
          .at(-1)!;
        const quoted = (call.params.reply_parameters as { message_id: number }).message_id;
        const quotedFrom = quoted === commandId ? erin.tg : 7000000001; // the bot's own
        const sent = lastSent(gw, group);
        return {
          quoted,
          buttons: sent.buttons,
          message: {
            message_id: sent.messageId,
            date: Math.floor(Date.now() / 1000),
            chat: { id: group, type: "supergroup", title: "Team" },
            from: { id: 7000000001, is_bot: true, first_name: "Bot" },
            text: "…",
            reply_to_message: {
              message_id: quoted,
              date: Math.floor(Date.now() / 1000),
              chat: { id: group, type: "supergroup", title: "Team" },
              from: { id: quotedFrom, is_bot: quotedFrom !== erin.tg, first_name: "X" },
              text: "/tasks",
            },
          },
        };
      };
      for (const round of [1, 2]) {
        const last = pressed();
        assertEquals(last.quoted, commandId, `round ${round}: the last part quotes erin's command`);
        const before = gw.telegram.sent.length;
        const privately = privateMessages(gw, erin.tg).length;
        const done = last.buttons.find((b) => b.text.startsWith("Done #"))!;
        const press = pressOn(erin.tg, last.message, done.callback_data);
        assertEquals((await postUpdate(gw, press)).status, 200);
        const calls = gw.telegram.sent.slice(before);
        const edit = calls.find((c) => c.method === "editMessageText");
        assert(edit, `round ${round}: not edited in place`);
        assertEquals(edit.params.message_id, last.message.message_id);
        assertEquals(privateMessages(gw, erin.tg).length, privately, "nothing sent privately");
        const rest = calls.filter((c) => c.method === "sendMessage");
        assert(rest.length >= 1, "the rest follows the edited message");
        for (const c of rest) {
          assertEquals(c.params.chat_id, group);
          assertEquals((c.params.reply_parameters as { message_id: number }).message_id, commandId);
        }
      }
    } finally {
      await gw.close();
    }
  },
);
