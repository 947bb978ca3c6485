/**
 * Replays the Slack corpus (tests/corpus/slack, sources in tests/corpus/SOURCES.md) against the
 * real stack, signed with a real HMAC secret: slash commands, interactions and events from
 * Slack's documentation and from Slack's own SDKs' test fixtures, not shapes we wrote. Each is
 * sent as found, addressed to this test's linked account (fresh trigger ids, response URLs of the
 * test's sink, fresh event ids); it must be answered quickly without a 5xx and write nothing:
 * commands that are not ours say so, a button that is not ours says it is not valid (without a
 * database call), other interactions are acknowledged, `url_verification` answered. Events: a
 * mention or a DM a person wrote gets the hint (in the DM, or privately in the channel) without a
 * database call; bots' messages, edits, deletions, channel and group messages, a canvas mention
 * are acknowledged and run nothing; one without its person is a 400. A few are replayed again
 * rewritten to our commands and buttons (MAPPED), through real shapes: a docs command, an
 * Enterprise Grid user (W…), an org-wide install, a press on a message attachment, on an
 * ephemeral message, the docs' DM and mention, a DM in a thread.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { loadCorpus, MAX_MS, taskRows } from "../corpus_fixtures.ts";
import {
  integration,
  linkCodeFor,
  newUser,
  startGateway,
  type TestGateway,
  tokenFor,
} from "../fixtures.ts";
import {
  buttons,
  linkSlack,
  shownText,
  signedSlackRequest,
  type SlackCaller,
  type SlackPayload,
  slackReplay,
  type SlackReplayOptions,
  slackUser,
  slash,
} from "../slack_fixtures.ts";
import { eventReplay } from "../slack_event_fixtures.ts";

/** Sends a replay, signed; returns what came back and what it cost. */
async function send(
  gw: TestGateway,
  stored: SlackPayload,
  caller: SlackCaller,
  options?: SlackReplayOptions & { text?: string },
) {
  await gw.handler.core.drain(); // what earlier requests left running is not this one's
  const event = "event" in stored ? eventReplay(gw, stored.event, caller, options) : undefined;
  const replay = event
    ? { body: event.body, contentType: "application/json", responseUrl: undefined }
    : slackReplay(gw, stored, caller, options);
  const [messages, ephemerals] = [gw.slack.messages.length, gw.slack.ephemerals.length];
  const before = gw.dbCalls();
  const started = performance.now();
  const res = await gw.handler(
    signedSlackRequest(gw.env.SLACK_SIGNING_SECRET, replay.body, {
      contentType: replay.contentType,
    }),
  );
  const text = await res.text();
  await gw.handler.core.drain();
  return {
    status: res.status,
    body: text ? JSON.parse(text) : null,
    ms: performance.now() - started,
    dbCalls: gw.dbCalls() - before,
    posted: replay.responseUrl ? gw.slack.response(replay.responseUrl)?.posted ?? [] : [],
    original: replay.responseUrl ? gw.slack.response(replay.responseUrl)?.original : undefined,
    /** What the bot said about an event: in the conversation, or to the person alone. */
    answers: [
      ...gw.slack.messages.slice(messages),
      ...gw.slack.ephemerals.slice(ephemerals),
    ].filter((m) => m.channel === event?.channel),
  };
}

/** Whether an Events API body is one the gateway runs a command for (a person's mention or DM). */
function carriesCommand(body: Record<string, unknown>): boolean {
  const e = body.event as Record<string, unknown> | undefined;
  if (body.type !== "event_callback" || !e) return false;
  const where = e.type === "app_mention" || (e.type === "message" && e.channel_type === "im");
  return where && e.subtype === undefined && e.bot_id === undefined;
}

Deno.test("the Slack corpus of real payloads is replayed", integration, async (t) => {
  const corpus = await loadCorpus("slack");
  const gw = await startGateway();
  const user = await newUser();
  const token = await tokenFor(user);
  const caller = slackUser();
  assertMatch(await linkSlack(gw, caller, await linkCodeFor(token)), /^Linked!/);
  try {
    await t.step(`${corpus.length} Slack payloads as found`, async () => {
      assert(corpus.length >= 48, "the Slack corpus shrank");
      const before = await taskRows(token);
      for (const entry of corpus) {
        const stored = entry.payload as SlackPayload;
        const r = await send(gw, stored, caller);
        assert(r.status < 500, `${entry.key}: ${r.status}`);
        assert(r.ms < MAX_MS, `${entry.key}: ${r.ms.toFixed(0)} ms`);
        if ("form" in stored && stored.form.command) {
          // Commands of other apps (/weather, /hello-bolt-js): not ours, said privately.
          assertEquals(r.status, 200, entry.key);
          assertEquals(r.body?.response_type, "ephemeral", entry.key);
          assertMatch(shownText(r.body), /^Unknown command\. Send \/help/, entry.key);
        } else if ("form" in stored) {
          assertEquals([r.status, r.body, r.dbCalls], [200, null, 0], `${entry.key}: ssl_check`);
        } else if ("event" in stored) {
          const challenge = stored.event.challenge;
          const person = (stored.event.event as { user?: unknown } | undefined)?.user;
          assertEquals(r.dbCalls, 0, entry.key);
          if (carriesCommand(stored.event) && typeof person !== "string") {
            // Slack names the person who wrote; a payload without one is not Slack's shape.
            assertEquals(r.status, 400, entry.key);
          } else if (carriesCommand(stored.event)) {
            // Words that are no command of ours ("Hi there!"): the hint, where it was asked.
            assertEquals([r.status, r.body, r.answers.length], [200, null, 1], entry.key);
            assertMatch(shownText(r.answers[0]), /^Unknown command\. /, entry.key);
            const mention = (stored.event.event as { type?: string }).type === "app_mention";
            assertEquals("user" in r.answers[0], mention, `${entry.key}: privately in a channel`);
          } else {
            assertEquals(r.body, challenge ? { challenge } : null, entry.key);
            assertEquals([r.status, r.answers.length], [200, 0], entry.key);
          }
        } else {
          const type = stored.interaction.type;
          const actions = stored.interaction.actions as
            | { type?: string; value?: unknown }[]
            | undefined;
          const button = type === "block_actions" && actions?.[0]?.type === "button" &&
            typeof actions[0].value === "string" && "response_url" in stored.interaction;
          assertEquals([r.status, r.body, r.dbCalls], [200, null, 0], entry.key);
          if (button) {
            // Another app's button (click_me_123, …): not valid here, nothing run.
            assertEquals(r.posted.length, 1, entry.key);
            assertMatch(shownText(r.posted[0]), /^This button is not valid/, entry.key);
            assertEquals(r.posted[0].ephemeral, true, entry.key);
          } else assertEquals(r.posted, [], `${entry.key}: answered a ${type}`);
        }
      }
      assertEquals(await taskRows(token), before, "a Slack payload wrote a task");
    });

    const find = (key: string) => {
      const entry = corpus.find((e) => e.key === key);
      assert(entry, `no corpus entry ${key}`);
      return entry.payload as SlackPayload;
    };

    await t.step("commands rewritten to ours, through real shapes", async () => {
      const added = await send(gw, find("java-slack-sdk/docs-slash-command-weather"), caller, {
        line: "/add Corpus replay task",
      });
      assertMatch(shownText(added.body), /^Added #\d+: Corpus replay task$/);
      const grid = await send(gw, find("bolt-python/slash-command"), caller, { line: "/tasks" });
      assertMatch(shownText(grid.body), /Corpus replay task/);
      const org = await send(gw, find("java-slack-sdk/org-level-app-command"), caller, {
        line: "/whoami",
      });
      assertMatch(
        shownText(org.body),
        new RegExp(`via slack account ${caller.team}:${caller.user}`),
      );
      const socket = await send(gw, find("python-slack-sdk/socket-mode-slash-command"), caller, {
        line: "/done 0",
      });
      assertMatch(shownText(socket.body), /^The task number must be more than 0, e\.g\. \/done 3$/);
    });

    await t.step("presses rewritten to our buttons", async () => {
      await slash(gw, caller, "/add Second replay task");
      const list = (await slash(gw, caller, "/tasks")).body!;
      const [first, second] = buttons(list).filter((b) => b.label.startsWith("Done #"));
      // Slack's docs example: a button on a message attachment, not ephemeral, not made for the
      // presser (its block id is ours but names another user): answered privately.
      const other = { ...first, blockId: first.blockId.replace(/\.[UW]\w+$/, ".U0SOMEONE") };
      const attachment = await send(gw, find("java-slack-sdk/docs-block-actions"), caller, {
        button: other,
        original: { ...list, ephemeral: false },
      });
      assertEquals(attachment.posted.length, 1);
      assertMatch(shownText(attachment.posted[0]), /^Done: #\d+ /);
      assertEquals(attachment.posted[0].ephemeral, true);
      assertEquals(shownText(attachment.original), shownText(list), "another's message replaced");
      // bolt-python's press on an ephemeral message (the presser's own): replaced in place.
      const ephemeral = await send(gw, find("bolt-python/block-actions"), caller, {
        button: second,
        original: { ...list, ephemeral: true },
      });
      assertEquals(ephemeral.posted, []);
      assertMatch(shownText(ephemeral.original), /^Done: #\d+ /);
    });
    await t.step("events rewritten to our commands", async () => {
      const added = await send(gw, find("slack-docs-events/message-im"), caller, {
        text: "add Corpus event task",
      });
      assertMatch(shownText(added.answers[0]), /^Added #\d+: Corpus event task$/);
      const mention = await send(gw, find("slack-docs-events/app-mention"), caller, {
        text: "<@U0LAN0Z89> tasks",
      });
      assertEquals(mention.answers.length, 1);
      assertEquals("user" in mention.answers[0], true, "the list was shown to the channel");
      assertMatch(shownText(mention.answers[0]), /Corpus event task/);
      const threaded = await send(gw, find("bolt-python/assistant-user-message-im"), caller, {
        text: "whoami",
      });
      assertMatch(shownText(threaded.answers[0]), /via slack account/);
      assertEquals(
        (threaded.answers[0] as { threadTs?: string }).threadTs,
        "1726133698.626339",
        "answered outside the DM's thread",
      );
    });
  } finally {
    await gw.close();
  }
});
