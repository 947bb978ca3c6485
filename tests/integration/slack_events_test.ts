/**
 * Slack's Events API against the real stack, with real v0 signatures: commands sent in the app's
 * DM and by mention run as the linked Slack user under their RLS, through the same pipeline as
 * slash commands. A DM is answered in the DM; a mention privately (ephemeral) unless the command
 * is public, then in the mention's thread; buttons on those answers work; an unlinked user is told
 * how to link and `link CODE` links; a retried event (same event_id, X-Slack-Retry-Num), also on a
 * second gateway instance on the same database, has one effect and one answer; a slow command is
 * acknowledged within Slack's 3 s and answered after; with the database unreachable the event gets
 * a 503 (Slack sends it again) and its retry runs once, and Slack's last try is told it was not
 * done. What is ignored (bots, edits, the app's own messages) costs no database call; a bad
 * signature or stale timestamp is 401 and runs nothing; malformed bodies are 400, never 500; an
 * app without a bot token answers no events; an app with a command prefix takes the name alone in
 * a DM and hints with its own slash command.
 */
import { z } from "zod";
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { commands } from "../../supabase/functions/gateway/commands/mod.ts";
import { defineCommand } from "../../supabase/functions/_shared/command.ts";
import { reply } from "../../supabase/functions/_shared/reply.ts";
import { addAfter } from "../support/slow_command.ts";
import { freePort } from "../../dev/ports.ts";
import { UNAVAILABLE_TEXT } from "../../adapters/slack/outcome.ts";
import {
  integration,
  linkCodeFor,
  newUser,
  psql,
  startGateway,
  taskCount,
  tokenFor,
} from "../fixtures.ts";
import {
  buttons,
  pressBody,
  responseUrlFor,
  shownText,
  signedSlackRequest,
  slackSecret,
  slackUser,
} from "../slack_fixtures.ts";
import { eventFor, resend, sendEvent, SLACK_BOT_USER } from "../slack_event_fixtures.ts";

/** A command answered for everyone to see (the thread rule). */
const ping = defineCommand({
  name: "ping",
  description: "Answer for everyone (tests)",
  args: z.object({}),
  requires: "none",
  readOnly: true,
  publicReply: true,
  run: () => Promise.resolve(reply.text("pong")),
});

Deno.test("slack events: DMs as the linked user, under their RLS", integration, async (t) => {
  const gw = await startGateway();
  try {
    const user = await newUser();
    const caller = slackUser();

    await t.step("unlinked: how to link, in the DM", async () => {
      const r = await sendEvent(gw, caller, "tasks");
      assertEquals([r.status, r.text], [200, ""]);
      assertEquals(r.posted.length, 1);
      assertEquals(r.posted[0].channel, `D${caller.user}`);
      assertMatch(shownText(r.posted[0]), /This Slack account is not linked yet/);
      assertMatch(shownText(r.posted[0]), /send \/link <code> here/);
    });

    await t.step("link CODE links the account", async () => {
      const r = await sendEvent(gw, caller, `link ${await linkCodeFor(await tokenFor(user))}`);
      assertMatch(shownText(r.posted[0]), /^Linked! This Slack account now acts as you/);
      assertEquals(
        await psql(`select external_id from chat_identities where user_id = '${user.id}'`),
        `${caller.team}:${caller.user}`,
      );
    });

    await t.step("add writes as the user, tasks reads their rows only", async () => {
      const added = await sendEvent(gw, caller, "add Buy oat milk &amp; bread");
      assertMatch(shownText(added.posted[0]), /^Added #\d+: Buy oat milk & bread$/);
      assertEquals(await taskCount(user.id), 1);
      assertEquals(await psql(`select source from tasks where user_id = '${user.id}'`), "slack");
      const listed = await sendEvent(gw, caller, "tasks");
      assertMatch(shownText(listed.posted[0]), /Buy oat milk & bread/);
      // RLS: bob's seeded tasks are not this user's.
      assert(!/Fix the bike/.test(shownText(listed.posted[0])));
      assertEquals(listed.ephemeral, [], "a DM answer is a message in the DM");
    });

    await t.step("the slash and the prefix are understood; usage as for /done", async () => {
      const slashed = await sendEvent(gw, caller, "/whoami");
      assertMatch(shownText(slashed.posted[0]), /via slack account/);
      const bad = await sendEvent(gw, caller, "done soon");
      assertEquals(
        shownText(bad.posted[0]),
        "The task number must be a whole number, e.g. /done 3",
      );
      const extra = await sendEvent(gw, caller, "whoami now please");
      assertMatch(shownText(extra.posted[0]), /^Too many words\. Usage: \/whoami$/);
    });

    await t.step("an unknown word: the hint in the DM's terms, no database call", async () => {
      const r = await sendEvent(gw, caller, "hello there");
      assertEquals(
        shownText(r.posted[0]),
        "Unknown command. Send help (or /help) to see what I can do.",
      );
      assertEquals(r.dbCalls, 0);
    });

    await t.step("in a DM thread, the answer is in that thread", async () => {
      const first = await sendEvent(gw, caller, "whoami");
      const r = await sendEvent(gw, caller, "tasks", { threadTs: first.ts });
      assertEquals(r.posted[0].threadTs, first.ts);
    });

    await t.step("a button on a DM answer works with the press handling", async () => {
      const listed = await sendEvent(gw, caller, "tasks");
      const message = listed.posted[0];
      const done = buttons(message).find((b) => b.label.startsWith("Done #"));
      assert(done, "no Done button on the DM's list");
      const url = responseUrlFor(gw, caller, { ...message, ephemeral: false });
      const res = await gw.handler(
        signedSlackRequest(
          gw.env.SLACK_SIGNING_SECRET,
          pressBody(caller, done, url, { ephemeral: false }),
        ),
      );
      assertEquals(res.status, 200);
      await res.body?.cancel();
      await gw.handler.core.drain();
      // The message was made for the presser: replaced in place with the refreshed list.
      assertMatch(shownText(gw.slack.response(url)!.original), /^Done: #\d+ /);
      assertEquals(await psql(`select done from tasks where user_id = '${user.id}'`), "t");
    });
  } finally {
    await gw.close();
  }
});

Deno.test(
  "slack events: mentions in a channel keep the caller's data private",
  integration,
  async (t) => {
    const gw = await startGateway({ commands: [...commands, ping] });
    try {
      const user = await newUser();
      const caller = slackUser();
      await sendEvent(gw, caller, `link ${await linkCodeFor(await tokenFor(user))}`);
      await sendEvent(gw, caller, "add Private task");

      await t.step("@app tasks: ephemeral to the mentioner, nothing public", async () => {
        const r = await sendEvent(gw, caller, "tasks", { where: "mention" });
        assertEquals(r.status, 200);
        assertEquals(r.posted, [], "the caller's tasks were posted for the channel");
        assertEquals(r.ephemeral.length, 1);
        assertEquals(r.ephemeral[0].user, caller.user);
        assertMatch(shownText(r.ephemeral[0]), /Private task/);
        // A top-level mention has no thread yet: Slack would not show an ephemeral one there.
        assertEquals(r.ephemeral[0].threadTs, undefined);
      });

      await t.step("a mention in a thread: ephemeral in that thread", async () => {
        const top = await sendEvent(gw, caller, "whoami", { where: "mention" });
        const r = await sendEvent(gw, caller, "tasks", { where: "mention", threadTs: top.ts });
        assertEquals(r.ephemeral[0].threadTs, top.ts);
      });

      await t.step("a public command: answered in the mention's thread", async () => {
        const r = await sendEvent(gw, caller, "ping", { where: "mention" });
        assertEquals(r.ephemeral, []);
        assertEquals(r.posted.map((m) => [shownText(m), m.threadTs]), [["pong", r.ts]]);
      });

      await t.step("unknown words and a bare mention: the hint, privately", async () => {
        for (const text of ["is it everything a river should be?", ""]) {
          const r = await sendEvent(gw, caller, text, { where: "mention" });
          assertEquals(
            shownText(r.ephemeral[0]),
            "Unknown command. Mention me with help (or send /help) to see what I can do.",
          );
          assertEquals([r.posted.length, r.dbCalls], [0, 0]);
        }
      });

      await t.step("an unlinked member is told how to link, privately", async () => {
        const r = await sendEvent(gw, slackUser(), "tasks", { where: "mention" });
        assertEquals(r.posted, []);
        assertMatch(shownText(r.ephemeral[0]), /not linked yet/);
      });

      await t.step("a button on an ephemeral answer replaces it", async () => {
        const r = await sendEvent(gw, caller, "tasks", { where: "mention" });
        const done = buttons(r.ephemeral[0]).find((b) => b.label.startsWith("Done #"))!;
        const url = responseUrlFor(gw, caller, { ...r.ephemeral[0], ephemeral: true });
        const res = await gw.handler(
          signedSlackRequest(gw.env.SLACK_SIGNING_SECRET, pressBody(caller, done, url)),
        );
        await res.body?.cancel();
        await gw.handler.core.drain();
        assertMatch(shownText(gw.slack.response(url)!.original), /^Done: #\d+ /);
      });
    } finally {
      await gw.close();
    }
  },
);

Deno.test("slack events: a retried event has one effect and one answer", integration, async (t) => {
  const gw = await startGateway();
  try {
    const user = await newUser();
    const caller = slackUser();
    await sendEvent(gw, caller, `link ${await linkCodeFor(await tokenFor(user))}`);
    const written = eventFor(gw, caller, "add Once only");
    const retry = { headers: { "x-slack-retry-num": "1", "x-slack-retry-reason": "http_timeout" } };

    await t.step("the same event_id again: one task, one answer", async () => {
      const first = await resend(gw, written);
      assertMatch(shownText(first.posted[0]), /^Added #\d+: Once only$/);
      const again = await resend(gw, written, retry);
      assertEquals([again.status, again.posted.length, again.ephemeral.length], [200, 0, 0]);
      assertEquals(await taskCount(user.id), 1);
    });

    await t.step("the retry reaching a second gateway on the same database", async () => {
      const second = await startGateway({ env: { SLACK_API_BASE: gw.env.SLACK_API_BASE } });
      try {
        const again = await resend(second, written, retry, gw);
        assertEquals([again.status, again.posted.length, again.ephemeral.length], [200, 0, 0]);
        assertEquals(await taskCount(user.id), 1);
      } finally {
        await second.close();
      }
    });

    await t.step("a read retried on this instance is answered once", async () => {
      const read = eventFor(gw, caller, "tasks");
      assertEquals((await resend(gw, read)).posted.length, 1);
      assertEquals((await resend(gw, read, retry)).posted.length, 0);
    });
  } finally {
    await gw.close();
  }
});

Deno.test(
  "slack events: the database unavailable: 503 so Slack sends it again, then done once",
  integration,
  async () => {
    const gw = await startGateway();
    // The same database and the same Slack, but its PostgREST unreachable (a refused connection).
    const down = await startGateway({
      restUrl: `http://127.0.0.1:${freePort()}`,
      env: { SLACK_API_BASE: gw.env.SLACK_API_BASE },
    });
    try {
      const user = await newUser();
      const caller = slackUser();
      await sendEvent(gw, caller, `link ${await linkCodeFor(await tokenFor(user))}`);
      const written = eventFor(gw, caller, "add Through an outage");
      const failed = await resend(down, written, {}, gw);
      assertEquals([failed.status, failed.posted.length, failed.ephemeral.length], [503, 0, 0]);
      assert(!/at \w+ \(|file:\/\//.test(failed.text), "a stack trace in the answer");
      assertEquals(await taskCount(user.id), 0);
      // Slack's retry, once the database is back: done once, answered once.
      const retried = await resend(gw, written, { headers: { "x-slack-retry-num": "1" } });
      assertMatch(shownText(retried.posted[0]), /^Added #\d+: Through an outage$/);
      assertEquals(await taskCount(user.id), 1);
      // Slack's last try: acknowledged, and the person is told it was not done.
      const last = await resend(down, eventFor(gw, caller, "add Never"), {
        headers: { "x-slack-retry-num": "3" },
      }, gw);
      assertEquals(last.status, 200);
      assertEquals(shownText(last.posted[0]), UNAVAILABLE_TEXT);
      assertEquals(await taskCount(user.id), 1);
    } finally {
      await down.close();
      await gw.close();
    }
  },
);

Deno.test(
  "slack events: a slow command is acknowledged at once, answered after",
  integration,
  async () => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const gw = await startGateway({
      commands: [...commands, addAfter("slowadd", "Add a task when the test says so", () => gate)],
    });
    try {
      const user = await newUser();
      const caller = slackUser();
      await sendEvent(gw, caller, `link ${await linkCodeFor(await tokenFor(user))}`);
      const written = eventFor(gw, caller, "slowadd Slow task");
      const started = performance.now();
      const res = await gw.handler(
        signedSlackRequest(gw.env.SLACK_SIGNING_SECRET, written.body, {
          contentType: "application/json",
        }),
      );
      assertEquals(res.status, 200);
      await res.body?.cancel();
      assert(performance.now() - started < 2900, "not acknowledged within Slack's 3 s");
      assertEquals(gw.slack.messages.filter((m) => m.channel === written.channel).length, 1);
      open();
      await gw.handler.core.drain();
      const answers = gw.slack.messages.filter((m) => m.channel === written.channel);
      assertMatch(shownText(answers.at(-1)), /^Added #\d+: Slow task$/);
      assertEquals(await taskCount(user.id), 1);
    } finally {
      open();
      await gw.close();
    }
  },
);

Deno.test("slack events: what runs nothing", integration, async (t) => {
  const gw = await startGateway();
  try {
    const user = await newUser();
    const caller = slackUser();
    await sendEvent(gw, caller, `link ${await linkCodeFor(await tokenFor(user))}`);
    const nothing = (r: { status: number; text: string; dbCalls: number; posted: unknown[] }) =>
      assertEquals([r.status, r.text, r.dbCalls, r.posted.length], [200, "", 0, 0]);

    await t.step("bots, edits, deletions, the app's own messages: ignored", async () => {
      const ignored = [
        { subtype: "bot_message", bot_id: "B0OTHER" },
        { bot_id: "B0LOCAL", bot_profile: { id: "B0LOCAL" } },
        { subtype: "message_changed", message: { text: "add Edited", user: caller.user } },
        { subtype: "message_deleted", previous_message: { text: "add Gone" } },
        { user: SLACK_BOT_USER },
      ];
      for (const event of ignored) nothing(await sendEvent(gw, caller, "add Not run", { event }));
      nothing(await sendEvent(gw, caller, "   "));
      nothing(await sendEvent(gw, caller, "add x", { event: { channel_type: "channel" } }));
      assertEquals(await taskCount(user.id), 0);
    });

    await t.step("a bad signature, a stale timestamp: 401, nothing run", async () => {
      const calls = gw.slack.calls.length;
      const other = await sendEvent(gw, caller, "add Forged", { secret: slackSecret() });
      const stale = await sendEvent(gw, caller, "add Stale", {
        timestamp: Math.floor(Date.now() / 1000) - 6 * 60,
      });
      const written = eventFor(gw, caller, "add Changed");
      const changed = await resend(gw, written, {
        sendBody: written.body.replace("Changed", "Forged"),
      });
      for (const r of [other, stale, changed]) {
        assertEquals([r.status, r.dbCalls], [401, 0]);
        assertMatch(r.text, /invalid_token/);
      }
      assertEquals(gw.slack.calls.length, calls, "Slack was called for a refused request");
      assertEquals(await taskCount(user.id), 0);
    });

    await t.step("malformed: 400 with what is wrong, never 500", async () => {
      const bad = [
        "{not json",
        JSON.stringify({ type: "event_callback", event_id: "Ev1" }),
        eventFor(gw, caller, "tasks").body.replace(/"event_id":"Ev\w+"/, '"event_id":""'),
        eventFor(gw, caller, "tasks").body.replace(/"user":"U\w+"/, '"user":"someone"'),
        eventFor(gw, caller, "tasks").body.replace(/"ts":"[\d.]+"/, '"ts":"soon"'),
      ];
      for (const body of bad) {
        const before = gw.dbCalls();
        const res = await gw.handler(
          signedSlackRequest(gw.env.SLACK_SIGNING_SECRET, body, {
            contentType: "application/json",
          }),
        );
        const text = await res.text();
        assertEquals(res.status, 400, body);
        assertMatch(text, /"ok":false/);
        assert(!/at \w+ \(|file:\/\//.test(text), "a stack trace in the answer");
        assertEquals(gw.dbCalls(), before);
      }
    });
  } finally {
    await gw.close();
  }
});

Deno.test("slack events: an app without a bot token answers none", integration, async () => {
  const secret = slackSecret();
  const gw = await startGateway({
    env: { SLACK_APPS: JSON.stringify([{ name: "quiet", signingSecret: secret }]) },
  });
  try {
    const caller = slackUser();
    const path = "/slack/quiet";
    for (let i = 0; i < 2; i++) {
      const r = await sendEvent(gw, caller, "tasks", { secret, path });
      assertEquals([r.status, r.dbCalls, r.posted.length], [200, 0, 0]);
    }
    const told = gw.logs.filter((l) => l.includes("slack events ignored"));
    assertEquals(told.length, 1, "the missing token is logged once");
    assert(!told[0].includes("xoxb-"), "a token in the log");
  } finally {
    await gw.close();
  }
});

Deno.test(
  "slack events: an app with a command prefix, in its own words",
  integration,
  async (t) => {
    const secret = slackSecret();
    const gw = await startGateway({
      env: {
        SLACK_APPS: JSON.stringify([{
          name: "acme",
          signingSecret: secret,
          botToken: `xoxb-acme-${crypto.randomUUID()}`,
          commandPrefix: "acme-",
          commands: ["help", "link", "tasks", "add"],
          appName: "Acme",
        }]),
      },
    });
    try {
      const caller = slackUser();
      const o = { secret, path: "/slack/acme", botUser: "U0ACME" };
      await t.step("in a DM the name alone, or with the prefix", async () => {
        for (const text of ["help", "acme-help", "/acme-help"]) {
          const r = await sendEvent(gw, caller, text, o);
          assertMatch(shownText(r.posted[0]), /\/acme-add <title> - Add a task/, text);
          // Posted with acme's own bot token, not the default app's (B0LOCAL).
          assertEquals(r.posted[0].botId, "B0ACME");
        }
      });
      await t.step(
        "unknown, or not this app's: the hint with the app's slash command",
        async () => {
          for (const text of ["done 3", "hello"]) {
            const r = await sendEvent(gw, caller, text, o);
            assertEquals(
              shownText(r.posted[0]),
              "Unknown command. Send help (or /acme-help) to see what I can do.",
            );
          }
        },
      );
      await t.step("unlinked: the app's own link command", async () => {
        const r = await sendEvent(gw, caller, "tasks", { ...o, where: "mention" });
        assertMatch(shownText(r.ephemeral[0]), /then send \/acme-link <code> here/);
        assertEquals(r.ephemeral[0].botId, "B0ACME");
      });
    } finally {
      await gw.close();
    }
  },
);
