/**
 * Slack buttons against the real stack: a reply's actions become Block Kit buttons carrying the
 * signed call; a press runs as the presser through the pipeline and is answered through its
 * response_url, replacing the message when it is the presser's, privately otherwise; a tampered
 * or foreign button runs nothing; a repeated press runs once.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { createActionCodec } from "../../supabase/functions/_shared/action_tokens.ts";
import { addAfter } from "../support/slow_command.ts";
import { commands } from "../../supabase/functions/gateway/commands/mod.ts";
import {
  integration,
  linkCodeFor,
  newUser,
  psql,
  stackSetting,
  startGateway,
  type TestGateway,
  tokenFor,
} from "../fixtures.ts";
import {
  buttons,
  linkSlack,
  pressBody,
  responseUrlFor,
  shownText,
  signedSlackRequest,
  type SlackCaller,
  slackSecret,
  slackUser,
  slash,
  triggerId,
} from "../slack_fixtures.ts";
import type { SlackMessage } from "../../adapters/slack/format.ts";

/** Presses the button labelled `label` of `message` as `caller`; returns the response URL. */
async function press(
  gw: TestGateway,
  caller: SlackCaller,
  message: SlackMessage,
  label: string,
  options: { ephemeral?: boolean; value?: string; triggerId?: string } = {},
): Promise<string> {
  const button = buttons(message).find((b) => b.label === label);
  assert(button, `no button ${label} in ${JSON.stringify(message)}`);
  const ephemeral = options.ephemeral ?? true;
  const url = responseUrlFor(gw, caller, { ...message, ephemeral });
  const body = pressBody(caller, { ...button, value: options.value ?? button.value }, url, {
    ephemeral,
    triggerId: options.triggerId,
  });
  const res = await gw.handler(signedSlackRequest(gw.env.SLACK_SIGNING_SECRET, body));
  assertEquals([res.status, await res.text()], [200, ""]);
  await gw.handler.core.drain();
  return url;
}

async function taskId(userId: string, title: string): Promise<number> {
  return Number(
    await psql(`select id from tasks where user_id = '${userId}' and title = '${title}'`),
  );
}

Deno.test("slack buttons: presses run as the presser", integration, async (t) => {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const slowAdd = addAfter("slowadd", "Add a task when the test says so", () => gate);
  const gw = await startGateway({ commands: [...commands, slowAdd] });
  try {
    const alice = await newUser();
    const bob = await newUser();
    const a = slackUser();
    const b = slackUser();
    await linkSlack(gw, a, await linkCodeFor(await tokenFor(alice)));
    await linkSlack(gw, b, await linkCodeFor(await tokenFor(bob)));
    await slash(gw, a, "/add Water the fern");
    const id = await taskId(alice.id, "Water the fern");
    const list = (await slash(gw, a, "/tasks")).body!;

    await t.step("a reply's actions are Block Kit buttons made for the caller", () => {
      const done = buttons(list).find((x) => x.label === `Done #${id}`);
      assert(done, JSON.stringify(list));
      assertMatch(done.blockId, new RegExp(`^r\\d+\\.${a.user}$`));
      assert(done.value.length <= 64);
    });

    await t.step(
      "another member's press on a public message: run as them, answered privately",
      async () => {
        const before = gw.dbCalls();
        const url = await press(gw, b, list, `Done #${id}`, { ephemeral: false });
        const state = gw.slack.response(url)!;
        assertEquals(state.posted.length, 1);
        assertEquals(state.posted[0].ephemeral, true);
        // Bob's RLS: Alice's task is not his to mark.
        assertEquals(shownText(state.posted[0]), `You have no task #${id}.`);
        assertEquals(shownText(state.original), shownText(list), "the message was replaced");
        assert(gw.dbCalls() > before, "the press did not run");
        assertEquals(await psql(`select done from tasks where id = ${id}`), "f");
      },
    );

    await t.step("the owner's press on their message replaces it in place", async () => {
      const url = await press(gw, a, list, `Done #${id}`);
      const state = gw.slack.response(url)!;
      assertEquals(state.posted, []);
      assertMatch(
        shownText(state.original),
        new RegExp(`^Done: #${id} Water the fern\\n\\n✓ #${id}`),
      );
      assertEquals(state.original!.ephemeral, true);
      assertEquals(await psql(`select done from tasks where id = ${id}`), "t");
    });

    await t.step("a public message made for the presser is theirs to replace", async () => {
      await psql(`update tasks set done = false where id = ${id}`);
      const refreshed = (await slash(gw, a, "/tasks")).body!;
      const url = await press(gw, a, refreshed, `Done #${id}`, { ephemeral: false });
      const state = gw.slack.response(url)!;
      assertEquals(state.posted, []);
      assertMatch(shownText(state.original), /^Done: #/);
      assertEquals(state.original!.ephemeral, false);
    });

    await t.step("a repeated press (same trigger_id) runs once", async () => {
      await psql(`update tasks set done = false where id = ${id}`);
      const fresh = (await slash(gw, a, "/tasks")).body!;
      const trigger = triggerId();
      const first = await press(gw, a, fresh, `Done #${id}`, { triggerId: trigger });
      assertMatch(shownText(gw.slack.response(first)!.original), /^Done: #/);
      await psql(`update tasks set done = false where id = ${id}`);
      const second = await press(gw, a, fresh, `Done #${id}`, { triggerId: trigger });
      assertEquals(gw.slack.response(second)!.uses, 0, "the repeat posted again");
      assertEquals(await psql(`select done from tasks where id = ${id}`), "f", "the repeat ran");
    });

    await t.step("a slow press is acknowledged at once and answered after", async () => {
      const codec = createActionCodec({
        keys: [stackSetting("SUPABASE_SERVICE_ROLE_KEY")],
        scope: "slack:default",
      });
      const value = codec.encode({ label: "Slow", command: "slowadd", args: { title: "Later" } });
      const message: SlackMessage = {
        text: "x",
        blocks: [{
          type: "actions",
          block_id: `r0.${a.user}`,
          elements: [{
            type: "button",
            text: { type: "plain_text", text: "Slow" },
            action_id: "b0.0",
            value,
          }],
        }],
      };
      const url = responseUrlFor(gw, a, { ...message, ephemeral: true });
      const started = performance.now();
      const res = await gw.handler(
        signedSlackRequest(
          gw.env.SLACK_SIGNING_SECRET,
          pressBody(a, { value, blockId: `r0.${a.user}` }, url),
        ),
      );
      assertEquals(res.status, 200);
      assert(performance.now() - started < 2900);
      assertEquals(gw.slack.response(url)!.uses, 0);
      open();
      await gw.handler.core.drain();
      const state = gw.slack.response(url)!;
      assertMatch(shownText(state.posted[0]), /^Added #\d+: Later$/);
      assertEquals(await taskId(alice.id, "Later") > 0, true);
    });
  } finally {
    open();
    await gw.close();
  }
});

Deno.test("slack buttons: a tampered or foreign button runs nothing", integration, async (t) => {
  const betaSecret = slackSecret();
  const gw = await startGateway({
    env: { SLACK_APPS: JSON.stringify([{ name: "beta", signingSecret: betaSecret }]) },
  });
  try {
    const user = await newUser();
    const a = slackUser();
    await linkSlack(gw, a, await linkCodeFor(await tokenFor(user)));
    await slash(gw, a, "/add Keep me open");
    const id = await taskId(user.id, "Keep me open");
    const list = (await slash(gw, a, "/tasks")).body!;
    const done = buttons(list).find((x) => x.label === `Done #${id}`)!;
    const key = stackSetting("SUPABASE_SERVICE_ROLE_KEY");
    const call = { label: "Done", command: "done", args: { id } };
    const values: [string, string][] = [
      ["one character changed", done.value.replace(`"id":${id}`, `"id":${id + 1}`)],
      ["the MAC cut", done.value.slice(0, -1)],
      [
        "another Slack app's button",
        createActionCodec({ keys: [key], scope: "slack:beta" }).encode(call),
      ],
      [
        "the default Telegram bot's button",
        gw.handler.core.botActions("telegram", "default").encode(call),
      ],
      [
        "the default Discord app's button",
        gw.handler.core.botActions("discord", "default").encode(call),
      ],
      ["not a token at all", "hello"],
    ];
    for (const [name, value] of values) {
      await t.step(name, async () => {
        const before = gw.dbCalls();
        const url = await press(gw, a, list, `Done #${id}`, { value });
        assertEquals(gw.dbCalls(), before, `${name}: a database call`);
        const state = gw.slack.response(url)!;
        assertMatch(shownText(state.posted[0]), /^This button is not valid/);
        assertEquals(state.posted[0].ephemeral, true);
        assertEquals(shownText(state.original), shownText(list));
      });
    }
    assertEquals(await psql(`select done from tasks where id = ${id}`), "f");
  } finally {
    await gw.close();
  }
});

Deno.test(
  "slack buttons: an app shows and runs only the buttons of its commands",
  integration,
  async () => {
    const betaSecret = slackSecret();
    const gw = await startGateway({
      env: {
        SLACK_APPS: JSON.stringify([{
          name: "beta",
          signingSecret: betaSecret,
          commands: ["help", "link", "tasks", "add"],
        }]),
      },
    });
    const onBeta = { secret: betaSecret, path: "/slack/beta" };
    try {
      const user = await newUser();
      const a = slackUser();
      await slash(gw, a, `/link ${await linkCodeFor(await tokenFor(user))}`, onBeta);
      await slash(gw, a, "/add Still open", onBeta);
      const id = await taskId(user.id, "Still open");
      const list = (await slash(gw, a, "/tasks", onBeta)).body!;
      assertMatch(shownText(list), /Still open/);
      assertEquals(buttons(list), [], "beta has no /done: no Done buttons");
      assert(buttons((await slash(gw, a, "/tasks")).body).length > 0, "the default app has");
      // A Done button signed for beta itself still runs nothing there.
      const value = createActionCodec({
        keys: [stackSetting("SUPABASE_SERVICE_ROLE_KEY")],
        scope: "slack:beta",
      }).encode({ label: "Done", command: "done", args: { id } });
      const url = responseUrlFor(gw, a, { ...list, ephemeral: true });
      const res = await gw.handler(
        signedSlackRequest(betaSecret, pressBody(a, { value }, url), onBeta),
      );
      assertEquals(res.status, 200);
      await res.body?.cancel();
      await gw.handler.core.drain();
      assertMatch(shownText(gw.slack.response(url)!.posted[0]), /^Unknown command/);
      assertEquals(await psql(`select done from tasks where id = ${id}`), "f");
    } finally {
      await gw.close();
    }
  },
);
