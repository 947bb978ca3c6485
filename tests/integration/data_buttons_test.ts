/**
 * Buttons built from data never fail a reply: a task whose id the `done` schema refuses (a row
 * written outside the app) loses its button, not the list, and "More" is offered only when the
 * schema takes the next page. On HTTPS and Telegram, against the real stack.
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
  runCommand,
  startGateway,
  telegramMessage,
  tokenFor,
} from "../fixtures.ts";
import { PAGE_SIZE } from "../../supabase/functions/gateway/commands/tasks.ts";

type Actions = { label: string; command: string; args: Record<string, unknown> }[][];

/** Log lines about buttons left out. */
const skips = (logs: string[]) => logs.filter((l) => l.includes('"button left out"'));

Deno.test(
  "a task id the schema refuses leaves out its button, not the list",
  integration,
  async (t) => {
    const gw = await startGateway();
    const user = await newUser();
    const token = await tokenFor(user);
    // 0 and one past the safe integers: ids only a superuser can write (overriding the identity).
    const odd = [0, 9_007_199_254_740_993 + Math.floor(Math.random() * 1_000_000)];
    try {
      await psql(
        `insert into public.tasks (id, user_id, title) overriding system value
       values ${odd.map((id) => `(${id}, '${user.id}', 'odd ${id}')`).join(", ")}`,
      );
      const good = Number(
        await psql(`insert into public.tasks (user_id, title) values ('${user.id}', 'good')
                  returning id`),
      );

      await t.step("HTTPS: 200, every task listed, the good one's button alone", async () => {
        const before = skips(gw.logs).length;
        const { status, body } = await runCommand(gw, token, "tasks");
        assertEquals(status, 200, JSON.stringify(body));
        assertMatch(String(body.text), /#0 odd 0/);
        assertMatch(String(body.text), /#9\d{15} odd 9\d{15}$/m);
        const actions = body.actions as Actions;
        assertEquals(actions.flat().map((a) => a.args), [{ id: good }]);
        const logged = skips(gw.logs).slice(before);
        assertEquals(logged.length, 2, "one line per button left out");
        for (const line of logged) {
          assertMatch(line, /arguments for \/done do not match its schema/);
          assert(!line.includes("odd") && !/"Done #/.test(line), `no data logged: ${line}`);
        }
      });

      await t.step("Telegram: the list is sent, with the good task's button", async () => {
        const tg = randomExternalId();
        assertMatch(await linkTelegram(gw, tg, await linkCodeFor(token)), /Linked/);
        const res = await postUpdate(gw, telegramMessage({ fromId: tg, text: "/tasks" }));
        assertEquals(res.status, 200);
        const sent = gw.telegram.calls("sendMessage").filter((c) => String(c.params.chat_id) === tg)
          .at(-1)!;
        assertMatch(String(sent.params.text), /odd 0/);
        const markup = sent.params.reply_markup as { inline_keyboard: { text: string }[][] };
        assertEquals(markup.inline_keyboard.flat().map((b) => b.text), [`Done #${good}`]);
      });
    } finally {
      await psql(`delete from public.tasks where user_id = '${user.id}'`);
      await gw.close();
    }
  },
);

Deno.test("the schema's last page has no More, and says what is left", integration, async () => {
  const gw = await startGateway();
  const user = await newUser();
  const token = await tokenFor(user);
  const last = 10_000; // the `page` argument's maximum
  try {
    // One more task than the last page can show.
    await psql(
      `insert into public.tasks (user_id, title)
       select '${user.id}', 'task ' || n from generate_series(1, ${last * PAGE_SIZE + 1}) n`,
    );
    const { status, body } = await runCommand(gw, token, "tasks", { page: last });
    assertEquals(status, 200, JSON.stringify(body));
    const actions = body.actions as Actions;
    assertEquals(actions.flat().filter((a) => a.label === "More"), []);
    assertEquals(actions.flat().length, PAGE_SIZE, "the page's Done buttons stay");
    assertMatch(String(body.text), /… and 1 more$/);
    const before = await runCommand(gw, token, "tasks", { page: last - 1 });
    assert((before.body.actions as Actions).flat().some((a) => a.label === "More"));
  } finally {
    await psql(`delete from public.tasks where user_id = '${user.id}'`);
    await gw.close();
  }
});
