/**
 * Replays the Slack corpus (tests/corpus/slack, sources in tests/corpus/SOURCES.md) against the
 * real stack, signed with a real HMAC secret: slash commands, interactions and events from
 * Slack's documentation and from Slack's own SDKs' test fixtures, not shapes we wrote. Each is
 * sent as found, addressed to this test's linked account (fresh trigger ids, response URLs of the
 * test's sink); it must be answered quickly without a 5xx and write nothing: commands that are not
 * ours say so, a button that is not ours says it is not valid (without a database call), other
 * interactions and events are acknowledged, `url_verification` answered. A few are replayed again
 * rewritten to our commands and buttons (MAPPED), through real shapes: a docs command, an
 * Enterprise Grid user (W…), an org-wide install, a press on a message attachment, on an
 * ephemeral message.
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

/** Sends a replay, signed; returns what came back and what it cost. */
async function send(
  gw: TestGateway,
  stored: SlackPayload,
  caller: SlackCaller,
  options?: SlackReplayOptions,
) {
  await gw.handler.core.drain(); // what earlier requests left running is not this one's
  const replay = slackReplay(gw, stored, caller, options);
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
  };
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
      assert(corpus.length >= 30, "the Slack corpus shrank");
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
          assertEquals(r.body, challenge ? { challenge } : null, entry.key);
          assertEquals(r.dbCalls, 0, entry.key);
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
  } finally {
    await gw.close();
  }
});
