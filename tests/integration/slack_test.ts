/**
 * The Slack channel against the real stack, with real signatures: a linked user's slash commands
 * read and write under their RLS; an unlinked one is told how to link; a slow command is
 * acknowledged at once and answered once through its response_url; a repeated request has one
 * effect; an app with a command prefix. Signatures: slack_signature_test.ts.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { addAfter } from "../support/slow_command.ts";
import { commands } from "../../supabase/functions/gateway/commands/mod.ts";
import {
  BOB,
  integration,
  linkCodeFor,
  newUser,
  psql,
  startGateway,
  taskCount,
  tokenFor,
} from "../fixtures.ts";
import {
  linkSlack,
  responseUrlFor,
  shownText,
  signedSlackRequest,
  slackSecret,
  slackUser,
  slash,
  slashBody,
} from "../slack_fixtures.ts";

Deno.test("slack: slash commands as the linked user, under their RLS", integration, async (t) => {
  const gw = await startGateway();
  try {
    const user = await newUser();
    const caller = slackUser();

    await t.step("unlinked: how to link, in Slack's syntax, privately", async () => {
      const { status, body } = await slash(gw, caller, "/tasks");
      assertEquals(status, 200);
      assertEquals(body?.response_type, "ephemeral");
      assertMatch(shownText(body), /This Slack account is not linked yet/);
      assertMatch(shownText(body), /send \/link <code> here/);
    });

    await t.step("/link CODE links the account", async () => {
      const reply = await linkSlack(gw, caller, await linkCodeFor(await tokenFor(user)));
      assertMatch(reply, /^Linked! This Slack account now acts as you\. Try \/tasks/);
      const row = await psql(
        `select provider || ' ' || external_id from chat_identities where user_id = '${user.id}'`,
      );
      assertEquals(row, `slack ${caller.team}:${caller.user}`);
    });

    await t.step(
      "/add writes as the user (source slack), /tasks reads their rows only",
      async () => {
        const added = await slash(gw, caller, "/add Buy oat milk & bread");
        assertMatch(shownText(added.body), /^Added #\d+: Buy oat milk & bread$/);
        assertEquals(await taskCount(user.id), 1);
        assertEquals(
          await psql(`select source from tasks where user_id = '${user.id}'`),
          "slack",
        );
        const listed = await slash(gw, caller, "/tasks");
        assertMatch(shownText(listed.body), /Buy oat milk & bread/);
        // RLS: bob's seeded tasks are not this user's.
        assert(!/Fix the bike/.test(shownText(listed.body)));
        assertEquals(listed.body?.response_type, "ephemeral");
      },
    );

    await t.step("Slack's escaping is undone: the title is what was typed", async () => {
      const sent = slashBody(caller, "/add", "a &lt;b&gt; &amp;amp; c", responseUrlFor(gw, caller));
      const res = await gw.handler(signedSlackRequest(gw.env.SLACK_SIGNING_SECRET, sent));
      assertMatch(shownText(await res.json()), /: a <b> &amp; c$/);
    });

    await t.step("usage sentences as on Telegram", async () => {
      const { body } = await slash(gw, caller, "/done soon");
      assertEquals(shownText(body), "The task number must be a whole number, e.g. /done 3");
      const help = await slash(gw, caller, "/help");
      assertMatch(shownText(help.body), /\/add <title> - Add a task/);
      assert(
        !/link-code|\/start/.test(shownText(help.body)),
        "HTTPS/Telegram-only commands listed",
      );
    });

    await t.step("whoami names the Slack account", async () => {
      const { body } = await slash(gw, caller, "/whoami");
      assertEquals(
        shownText(body),
        `You are ${user.email} (via slack account ${caller.team}:${caller.user}).`,
      );
    });

    await t.step("a command no app offers: unknown, nothing run", async () => {
      const { body } = await slash(gw, caller, "/link-code");
      assertEquals(shownText(body), "Unknown command. Send /help to see what I can do.");
    });
  } finally {
    await gw.close();
  }
});

Deno.test(
  "slack: a slow command is answered once through its response_url",
  integration,
  async (t) => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const gw = await startGateway({
      commands: [...commands, addAfter("slowadd", "Add a task when the test says so", () => gate)],
    });
    try {
      const user = await newUser();
      const caller = slackUser();
      await linkSlack(gw, caller, await linkCodeFor(await tokenFor(user)));

      await t.step("acknowledged at once with an empty 200, answered after", async () => {
        const started = performance.now();
        const result = await slash(gw, caller, "/slowadd Slow task");
        assertEquals([result.status, result.body], [200, null]);
        assert(performance.now() - started < 2900, "not acknowledged within Slack's 3 s");
        open();
        await gw.handler.core.drain();
        const state = gw.slack.response(result.responseUrl)!;
        assertEquals(state.uses, 1);
        assertMatch(state.posted[0].text!, /^Added #\d+: Slow task$/);
        assertEquals(state.posted[0].ephemeral, true);
        assertEquals(await taskCount(user.id), 1);
      });
    } finally {
      await gw.close();
    }
  },
);

Deno.test("slack: a repeated request has one effect", integration, async (t) => {
  const gw = await startGateway();
  try {
    const user = await newUser();
    const caller = slackUser();
    await linkSlack(gw, caller, await linkCodeFor(await tokenFor(user)));
    const body = slashBody(caller, "/add", "Once only", responseUrlFor(gw, caller));
    const secret = gw.env.SLACK_SIGNING_SECRET;

    await t.step("the same trigger_id, retried (X-Slack-Retry-Num): one task", async () => {
      const first = await gw.handler(signedSlackRequest(secret, body));
      const again = await gw.handler(
        signedSlackRequest(secret, body, { headers: { "x-slack-retry-num": "1" } }),
      );
      const [a, b] = [await first.json(), await again.json()];
      assertMatch(shownText(a), /^Added #\d+: Once only$/);
      assertEquals(shownText(b), shownText(a));
      assertEquals(await taskCount(user.id), 1);
    });

    await t.step(
      "the same trigger_id on a fresh gateway (another instance): one task",
      async () => {
        // Its Slack is the first one's (the response URL is of that Slack).
        const second = await startGateway({ env: { SLACK_API_BASE: gw.env.SLACK_API_BASE } });
        try {
          await gw.handler.core.drain(); // the first instance's completion is written
          const res = await second.handler(signedSlackRequest(secret, body));
          assertMatch(shownText(await res.json()), /^Added #\d+: Once only$/);
          assertEquals(await taskCount(user.id), 1);
        } finally {
          await second.close();
        }
      },
    );

    await t.step("another user's identical command is theirs", async () => {
      const other = slackUser();
      await linkSlack(gw, other, await linkCodeFor(await tokenFor(BOB)));
      const before = await taskCount(BOB.id);
      const { body } = await slash(gw, other, "/add Once only");
      assertMatch(shownText(body), /^Added/);
      assertEquals(await taskCount(BOB.id), before + 1);
      await psql(`delete from chat_identities where external_id = '${other.team}:${other.user}'`);
    });
  } finally {
    await gw.close();
  }
});

Deno.test(
  "slack: the same request while the first still runs on this instance: told so, one effect",
  integration,
  async () => {
    let open!: () => void;
    let running!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const started = new Promise<void>((resolve) => (running = resolve));
    const gw = await startGateway({
      commands: [
        ...commands,
        addAfter("gatedadd", "Add a task when the test says so", () => (running(), gate)),
      ],
    });
    try {
      const user = await newUser();
      const caller = slackUser();
      await linkSlack(gw, caller, await linkCodeFor(await tokenFor(user)));
      const body = slashBody(caller, "/gatedadd", "Twice sent", responseUrlFor(gw, caller));
      const secret = gw.env.SLACK_SIGNING_SECRET;
      const first = gw.handler(signedSlackRequest(secret, body));
      await started;
      // docs/slack.md: "same request still running (on this instance or another)".
      const repeat = await gw.handler(signedSlackRequest(secret, body));
      assertEquals(repeat.status, 200);
      assertEquals(shownText(await repeat.json()), "This command is already being handled.");
      open();
      assertMatch(shownText(await (await first).json()), /^Added #\d+: Twice sent$/);
      assertEquals(await taskCount(user.id), 1);
    } finally {
      open();
      await gw.close();
    }
  },
);

Deno.test("slack: an app with a command prefix speaks its own commands", integration, async (t) => {
  const secret = slackSecret();
  const gw = await startGateway({
    env: {
      SLACK_APPS: JSON.stringify([{
        name: "acme",
        signingSecret: secret,
        commandPrefix: "acme-",
        commands: ["help", "link", "tasks", "add"],
        appName: "Acme",
      }]),
    },
  });
  try {
    const caller = slackUser();
    const path = "/slack/acme";
    await t.step("help lists the prefixed commands of the app only", async () => {
      const { body } = await slash(gw, caller, "/acme-help", { secret, path });
      const text = shownText(body);
      assertMatch(text, /\/acme-add <title> - Add a task/);
      assert(!/\/acme-done/.test(text), text);
    });
    await t.step("unlinked: the app's own /link", async () => {
      const { body } = await slash(gw, caller, "/acme-tasks", { secret, path });
      assertMatch(
        shownText(body),
        /sign in to Acme, create a link code there, then send \/acme-link <code> here/,
      );
    });
    await t.step("an unprefixed or unoffered command is unknown", async () => {
      for (const line of ["/tasks", "/acme-done 3"]) {
        const { body } = await slash(gw, caller, line, { secret, path });
        assertEquals(shownText(body), "Unknown command. Send /acme-help to see what I can do.");
      }
    });
    await t.step("link-code names each Slack app's command", async () => {
      const user = await newUser();
      const res = await gw.request("/commands/link-code", {
        method: "POST",
        headers: { authorization: `Bearer ${await tokenFor(user)}` },
      });
      const { text, data } = await res.json();
      assertMatch(text, new RegExp(`Slack: send /link ${data.code} or /acme-link ${data.code}\\.`));
      assertEquals(data.send.slack, [`/link ${data.code}`, `/acme-link ${data.code}`]);
    });
  } finally {
    await gw.close();
  }
});
