/**
 * Interactive replies on the real stack: buttons under /tasks and /done on Telegram (inline
 * keyboards, callback queries) and Discord (components, MESSAGE_COMPONENT), and as data on HTTPS.
 * A press runs as the presser, once per callback query or interaction, under their RLS; a forged
 * or altered button runs nothing; an unlinked presser is told how to link; a long list is fully
 * reachable with "More" and never cut on Discord.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import {
  integration,
  linkCodeFor,
  linkTelegram,
  newUser,
  ownPostgrest,
  postUpdate,
  psql,
  randomExternalId,
  runCommand,
  startGateway,
  telegramMessage,
  type TestGateway,
  tokenFor,
} from "../fixtures.ts";
import {
  type Caller,
  discordEnv,
  type DiscordKeys,
  discordKeys,
  interact,
  interaction,
  linkDiscord,
  slash,
} from "../discord_fixtures.ts";
import { answers, type Button, lastSent, pressUpdate } from "../telegram_fixtures.ts";
import { PAGE_SIZE } from "../../supabase/functions/gateway/commands/tasks.ts";
import { commands } from "../../supabase/functions/gateway/commands/mod.ts";
import { defineCommand } from "../../supabase/functions/_shared/command.ts";
import { reply } from "../../supabase/functions/_shared/reply.ts";
import { z } from "zod";

async function addTasks(userId: string, count: number, prefix = "Task"): Promise<number[]> {
  const out = await psql(
    `insert into tasks (user_id, title, source)
     select '${userId}', '${prefix} ' || n, 'web' from generate_series(1, ${count}) n
     returning id`,
  );
  return out.split("\n").filter(Boolean).map(Number);
}

async function isDone(id: number): Promise<boolean> {
  return (await psql(`select done from tasks where id = ${id}`)) === "t";
}

async function linkedTelegram(gw: TestGateway) {
  const user = await newUser();
  const token = await tokenFor(user);
  const tg = Number(randomExternalId());
  assertMatch(await linkTelegram(gw, String(tg), await linkCodeFor(token)), /Linked!/);
  return { user, token, tg };
}

Deno.test("demo: buttons on Telegram run as the presser, once", integration, async (t) => {
  const gw = await startGateway();
  try {
    const alice = await linkedTelegram(gw);
    const bob = await linkedTelegram(gw);
    const [first, second] = await addTasks(alice.user.id, 2);
    await postUpdate(gw, telegramMessage({ fromId: String(alice.tg), text: "/tasks" }));
    const list = lastSent(gw, alice.tg);
    const done = (id: number) => list.buttons.find((b) => b.text === `Done #${id}`)!;
    let pressed: { press: ReturnType<typeof pressUpdate>; edits: number } | undefined;

    await t.step("/tasks shows a Done button per open task, each within 64 bytes", () => {
      assert(done(first) && done(second), JSON.stringify(list.buttons));
      for (const b of list.buttons) {
        assert(new TextEncoder().encode(b.callback_data).length <= 64, b.callback_data);
      }
    });

    await t.step("another user's press changes nothing of alice's rows", async () => {
      const press = pressUpdate(bob.tg, alice.tg, list.messageId, done(first).callback_data);
      assertEquals((await postUpdate(gw, press)).status, 200);
      assertEquals(await isDone(first), false);
      const [answer] = answers(gw, press.callback_query.id);
      assertMatch(String(answer.params.text), new RegExp(`no task #${first}`));
    });

    await t.step("alice's press marks the task and refreshes the list in place", async () => {
      const edits = gw.telegram.calls("editMessageText").length;
      const press = pressUpdate(alice.tg, alice.tg, list.messageId, done(first).callback_data);
      assertEquals((await postUpdate(gw, press)).status, 200);
      assertEquals(await isDone(first), true);
      const edit = gw.telegram.calls("editMessageText").at(-1)!;
      assertEquals(gw.telegram.calls("editMessageText").length, edits + 1);
      assertEquals(edit.params.message_id, list.messageId);
      assertMatch(String(edit.params.text), new RegExp(`Done: #${first}[\\s\\S]*✓ #${first}`));
      const keyboard =
        (edit.params.reply_markup as { inline_keyboard: Button[][] }).inline_keyboard;
      assert(!keyboard.flat().some((b) => b.text === `Done #${first}`), "its button is gone");
      assertEquals(answers(gw, press.callback_query.id).length, 1, "the press is answered");
      pressed = { press, edits: edits + 1 };
    });

    await t.step("the same callback redelivered changes nothing", async () => {
      await psql(`update tasks set done = false where id = ${first}`);
      assertEquals((await postUpdate(gw, pressed!.press)).status, 200);
      assertEquals(await isDone(first), false, "not run again");
      assertEquals(gw.telegram.calls("editMessageText").length, pressed!.edits);
      await psql(`update tasks set done = true where id = ${first}`);
    });

    await t.step("a forged or altered button runs nothing and says so", async () => {
      const data = done(second).callback_data;
      const altered = data.replace(String(second), String(first));
      const calls = gw.dbCalls();
      for (const forged of [altered, data.slice(0, -1) + (data.endsWith("A") ? "B" : "A"), "x"]) {
        const press = pressUpdate(alice.tg, alice.tg, list.messageId, forged);
        assertEquals((await postUpdate(gw, press)).status, 200);
        assertMatch(String(answers(gw, press.callback_query.id)[0].params.text), /not valid/);
      }
      assertEquals(gw.dbCalls(), calls, "nothing ran");
      assertEquals(await isDone(second), false);
    });

    await t.step("an unlinked presser is told how to link", async () => {
      const stranger = Number(randomExternalId());
      const press = pressUpdate(stranger, alice.tg, list.messageId, done(second).callback_data);
      assertEquals((await postUpdate(gw, press)).status, 200);
      assertMatch(String(answers(gw, press.callback_query.id)[0].params.text), /not linked/);
      assertEquals(await isDone(second), false);
    });

    await t.step("/done answers with Undo, and Undo reopens the task", async () => {
      await postUpdate(gw, telegramMessage({ fromId: String(alice.tg), text: `/done ${second}` }));
      const reply = lastSent(gw, alice.tg);
      assertMatch(reply.text, new RegExp(`Done: #${second}`));
      const undo = reply.buttons.find((b) => b.text === "Undo")!;
      const press = pressUpdate(alice.tg, alice.tg, reply.messageId, undo.callback_data);
      assertEquals((await postUpdate(gw, press)).status, 200);
      assertEquals(await isDone(second), false);
      assertMatch(String(gw.telegram.calls("editMessageText").at(-1)!.params.text), /Not done/);
    });

    await t.step("60 tasks: every one reachable with More", async () => {
      const carol = await linkedTelegram(gw);
      const ids = await addTasks(carol.user.id, 60, "Item");
      await postUpdate(gw, telegramMessage({ fromId: String(carol.tg), text: "/tasks" }));
      let { text, buttons, messageId } = lastSent(gw, carol.tg);
      const seen = new Set<number>();
      for (let page = 1;; page++) {
        for (const m of text.matchAll(/#(\d+) Item/g)) seen.add(Number(m[1]));
        const more = buttons.find((b) => b.text === "More");
        if (!more) break;
        assert(page < 10, "More never ends");
        const press = pressUpdate(carol.tg, carol.tg, messageId, more.callback_data);
        assertEquals((await postUpdate(gw, press)).status, 200);
        const edit = gw.telegram.calls("editMessageText").at(-1)!;
        text = String(edit.params.text);
        buttons = (edit.params.reply_markup as { inline_keyboard: Button[][] } | undefined)
          ?.inline_keyboard.flat() ?? [];
        messageId = Number(edit.params.message_id);
      }
      assertEquals([...seen].sort(), [...ids].sort(), `seen ${seen.size} of 60`);
      assertEquals(Math.ceil(60 / PAGE_SIZE), 4);
    });
  } finally {
    await gw.close();
  }
});

Deno.test(
  "a press (Done, then the refreshed list) while PostgREST is frozen, redelivered to the other instance",
  integration,
  async () => {
    // One PostgREST, frozen past the upstream timeout, behind two gateway instances (each with
    // its own caches and sink, as two isolates have). Telegram redelivers the unanswered press
    // to whichever instance it reaches: the task is marked once and the list edited once.
    const rest = await ownPostgrest("actions-frozen");
    const a = await startGateway({ restUrl: rest.url });
    const b = await startGateway({ restUrl: rest.url });
    try {
      const alice = await linkedTelegram(a);
      const [id] = await addTasks(alice.user.id, 1, "Frozen");
      await postUpdate(a, telegramMessage({ fromId: String(alice.tg), text: "/tasks" }));
      const list = lastSent(a, alice.tg);
      const button = list.buttons.find((x) => x.text === `Done #${id}`)!;
      const press = pressUpdate(alice.tg, alice.tg, list.messageId, button.callback_data);
      const edits = (gw: TestGateway) =>
        gw.telegram.calls("editMessageText").filter((c) => c.params.message_id === list.messageId);

      rest.freeze();
      const started = performance.now();
      const first = await postUpdate(a, press);
      const waited = performance.now() - started;
      rest.thaw();
      assertEquals(first.status, 503, "not done: Telegram must redeliver");
      assert(waited < 8_000, `gave up after ${Math.round(waited)} ms`);
      assertEquals(edits(a).length, 0);
      assertEquals(answers(a, press.callback_query.id).length, 0, "nothing said for a 503");

      // Redelivered to the other instance: refused while the first instance's claim may still
      // hold (its claim can land after the freeze), then applied.
      let again;
      const deadline = Date.now() + 30_000;
      do {
        again = await postUpdate(b, press);
        if (again.status === 503) await new Promise((r) => setTimeout(r, 500));
      } while (again.status === 503 && Date.now() < deadline);
      assertEquals(again.status, 200);
      assertEquals(await isDone(id), true);
      assertEquals(edits(b).length, 1, "the list is refreshed once");
      assertMatch(String(edits(b)[0].params.text), new RegExp(`Done: #${id}[\\s\\S]*✓ #${id}`));
      assertEquals(answers(b, press.callback_query.id).length, 1, "the press is answered once");

      // Another redelivery, to either instance, runs nothing and edits nothing.
      await b.handler.core.drain();
      await psql(`update tasks set done = false where id = ${id}`);
      for (const gw of [a, b]) assertEquals((await postUpdate(gw, press)).status, 200);
      assertEquals(await isDone(id), false, "not run again");
      assertEquals(edits(a).length + edits(b).length, 1);
    } finally {
      await a.close();
      await b.close();
      await rest.stop();
    }
  },
);

type Component = { type: number; style: number; label: string; custom_id: string };
type Response = { type: number; data?: Record<string, unknown> };

function buttonsOf(response: Response): Component[] {
  const rows = (response.data?.components ?? []) as { components: Component[] }[];
  return rows.flatMap((r) => r.components);
}

function press(caller: Caller, customId: string): Record<string, unknown> {
  const body = interaction(3, caller);
  return { ...body, data: { custom_id: customId, component_type: 2 }, message: { id: "1" } };
}

async function linkedDiscord(gw: TestGateway, keys: DiscordKeys) {
  const user = await newUser();
  const token = await tokenFor(user);
  const caller = { userId: randomExternalId() };
  assertMatch(await linkDiscord(gw, keys, caller, await linkCodeFor(token)), /Linked/);
  return { user, token, caller };
}

Deno.test("demo: buttons on Discord run as the presser, once", integration, async (t) => {
  const keys = await discordKeys();
  const gw = await startGateway({ env: discordEnv(keys) });
  try {
    const alice = await linkedDiscord(gw, keys);
    const bob = await linkedDiscord(gw, keys);
    const [first, second] = await addTasks(alice.user.id, 2);
    const list = await interact(gw, keys, slash(alice.caller, "tasks"));
    const done = (id: number) => buttonsOf(list).find((b) => b.label === `Done #${id}`)!;
    let pressed: { body: Record<string, unknown>; answer: Response } | undefined;

    await t.step("/tasks shows Done buttons (custom_id within 100 characters)", () => {
      assert(done(first) && done(second), JSON.stringify(list.data));
      for (const b of buttonsOf(list)) assert(b.custom_id.length <= 100);
    });

    await t.step("another user's press changes nothing of alice's rows", async () => {
      const answer = await interact(gw, keys, press(bob.caller, done(first).custom_id));
      assertEquals(answer.type, 4);
      assertEquals(answer.data?.flags, 64);
      assertMatch(String(answer.data?.content), new RegExp(`no task #${first}`));
      assertEquals(await isDone(first), false);
    });

    await t.step("alice's press marks it and updates the message (type 7)", async () => {
      const body = press(alice.caller, done(first).custom_id);
      const answer = await interact(gw, keys, body);
      assertEquals(answer.type, 7);
      assertMatch(String(answer.data?.content), new RegExp(`Done: #${first}`));
      assert(!buttonsOf(answer).some((b) => b.label === `Done #${first}`));
      assertEquals(await isDone(first), true);
      pressed = { body, answer };
    });

    await t.step("the same interaction delivered again changes nothing", async () => {
      await psql(`update tasks set done = false where id = ${first}`);
      await gw.handler.core.drain();
      const again = await interact(gw, keys, pressed!.body);
      assertEquals(again, pressed!.answer, "the stored answer");
      assertEquals(await isDone(first), false, "not run again");
    });

    await t.step("a forged or altered button runs nothing and says so", async () => {
      const id = done(second).custom_id;
      const calls = gw.dbCalls();
      for (const forged of [id.replace(String(second), String(first)), id.slice(0, -2), ""]) {
        const answer = await interact(gw, keys, press(alice.caller, forged));
        assertMatch(String(answer.data?.content), /not valid/);
      }
      assertEquals(gw.dbCalls(), calls, "nothing ran");
      assertEquals(await isDone(second), false);
    });

    await t.step("an unlinked presser is told how to link", async () => {
      const answer = await interact(
        gw,
        keys,
        press({ userId: randomExternalId() }, done(second).custom_id),
      );
      assertMatch(String(answer.data?.content), /not linked/);
      assertEquals(await isDone(second), false);
    });

    await t.step("60 tasks: every one reachable with More, none cut", async () => {
      const carol = await linkedDiscord(gw, keys);
      const ids = await addTasks(carol.user.id, 60, "Item");
      let answer = await interact(gw, keys, slash(carol.caller, "tasks"));
      const seen = new Set<number>();
      for (let page = 1;; page++) {
        const content = String(answer.data?.content);
        assert(!/not shown/.test(content), "cut");
        for (const m of content.matchAll(/#(\d+) Item/g)) seen.add(Number(m[1]));
        const more = buttonsOf(answer).find((b) => b.label === "More");
        if (!more) break;
        assert(page < 10, "More never ends");
        answer = await interact(gw, keys, press(carol.caller, more.custom_id));
        assertEquals(answer.type, 7);
      }
      assertEquals([...seen].sort(), [...ids].sort(), `seen ${seen.size} of 60`);

      // Someone else pressing "More" on carol's public message gets their own answer, privately:
      // carol's message is not overwritten.
      const first = await interact(gw, keys, slash(carol.caller, "tasks"));
      const more = buttonsOf(first).find((b) => b.label === "More")!;
      const onCarols = {
        ...press(bob.caller, more.custom_id),
        message: { id: "1", interaction_metadata: { user: { id: carol.caller.userId } } },
      };
      const theirs = await interact(gw, keys, onCarols);
      assertEquals(theirs.type, 4);
      assertEquals(theirs.data?.flags, 64);
    });
  } finally {
    await gw.close();
  }
});

Deno.test("HTTPS replies carry their actions as data", integration, async () => {
  const gw = await startGateway();
  try {
    const user = await newUser();
    const token = await tokenFor(user);
    const [id] = await addTasks(user.id, 1);
    const { status, body } = await runCommand(gw, token, "tasks");
    assertEquals(status, 200);
    const actions = body.actions as Record<string, unknown>[][];
    assertEquals(actions[0][0], {
      label: `Done #${id}`,
      command: "done",
      args: { id },
      then: { command: "tasks", args: { page: 1 } },
    });
    // A web client presses it by calling the command with the args.
    const pressed = await runCommand(gw, token, "done", actions[0][0].args);
    assertEquals(pressed.status, 200);
    assertEquals(await isDone(id), true);
  } finally {
    await gw.close();
  }
});

Deno.test(
  "Discord: a reply over 2,000 characters is sent whole, in follow-ups",
  integration,
  async () => {
    const long = defineCommand({
      name: "long",
      description: "A long reply",
      args: z.object({}),
      requires: "none",
      run: () =>
        Promise.resolve(
          reply.text(
            Array.from({ length: 150 }, (_, i) => `line ${i + 1} of the report`).join("\n"),
          ),
        ),
    });
    const keys = await discordKeys();
    const gw = await startGateway({ env: discordEnv(keys), commands: [...commands, long] });
    try {
      const body = slash({ userId: randomExternalId() }, "long");
      const answer = await interact(gw, keys, body);
      const first = String(answer.data?.content);
      assert(first.length <= 2000);
      await gw.handler.core.drain();
      const state = gw.discord.interaction(String(body.token))!;
      const rest = [...state.followups.values()].map((m) => String(m.content));
      assert(rest.length >= 1, "follow-ups were sent");
      const all = [first, ...rest].join("\n");
      for (let i = 1; i <= 150; i++) assertMatch(all, new RegExp(`line ${i} of`));
      assert(!/not shown/.test(all), "nothing was cut");
    } finally {
      await gw.close();
    }
  },
);
