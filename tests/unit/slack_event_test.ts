/**
 * Reading Events API callbacks (pure, no server): which events carry a command (a mention, a
 * direct message) and which are ignored (bots, edits, the app's own messages, other types, empty
 * DMs), the 400s for what is not Slack's shape, the text as typed (the app's mention stripped,
 * Slack's markup undone), and where the answer is posted (DM, thread, or ephemeral).
 */
import { assertEquals } from "../assert.ts";
import { parseEvent, type SlackEventMessage, typedText } from "../../adapters/slack/event.ts";
import { eventReplyCall } from "../../adapters/slack/event_reply.ts";
import { GatewayError } from "../../supabase/functions/_shared/errors.ts";

const BOT = "U0BOT";

function callback(event: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return JSON.stringify({
    token: "x",
    team_id: "T0TEAM",
    api_app_id: "A0APP",
    type: "event_callback",
    event_id: "Ev0PV52K21",
    event_time: 1355517523,
    authorizations: [{ team_id: "T0TEAM", user_id: BOT, is_bot: true }],
    event,
    ...extra,
  });
}

const dm = (text: string, more: Record<string, unknown> = {}) =>
  callback({
    type: "message",
    channel: "D0DM",
    user: "U0ALICE",
    text,
    ts: "1355517523.000005",
    channel_type: "im",
    ...more,
  });

const mention = (text: string, more: Record<string, unknown> = {}) =>
  callback({
    type: "app_mention",
    channel: "C0GENERAL",
    user: "U0ALICE",
    text,
    ts: "1515449522.000016",
    ...more,
  });

Deno.test("slack events: a DM and a mention carry a command as typed", () => {
  assertEquals(parseEvent(dm("tasks 2")), {
    kind: "event",
    where: "dm",
    account: { provider: "slack", externalId: "T0TEAM:U0ALICE" },
    text: "tasks 2",
    channel: "D0DM",
    ts: "1355517523.000005",
    eventId: "Ev0PV52K21",
    apiAppId: "A0APP",
  });
  const m = parseEvent(
    mention(`<@${BOT}> add Buy &lt;oat&gt; milk &amp; bread`),
  ) as SlackEventMessage;
  assertEquals([m.where, m.text], ["mention", "add Buy <oat> milk & bread"]);
  // Someone else named before the command is not the command; after it, an argument.
  const other = parseEvent(mention("<@U0OTHER> tasks")) as SlackEventMessage;
  assertEquals(other.text, "tasks");
  const named = parseEvent(mention(`<@${BOT}> add call <@U0OTHER>`)) as SlackEventMessage;
  assertEquals(named.text, "add call @U0OTHER");
  // A DM is in a D… conversation: an "im" message elsewhere is not answered (publicly).
  assertEquals(parseEvent(dm("tasks", { channel: "C0GENERAL" })).kind, "ignored");
  const legacy = JSON.parse(mention("<@U0LAN0Z89|acme>: tasks"));
  delete legacy.authorizations;
  assertEquals((parseEvent(JSON.stringify(legacy)) as SlackEventMessage).text, "tasks");
  // In a thread; the person's own workspace in a shared channel.
  const threaded = parseEvent(
    mention(`<@${BOT}> tasks`, { thread_ts: "1515449000.000001", user_team: "T0THEIRS" }),
  ) as SlackEventMessage;
  assertEquals(threaded.threadTs, "1515449000.000001");
  assertEquals(threaded.account.externalId, "T0THEIRS:U0ALICE");
  // A mention in a DM message is the app's too.
  assertEquals((parseEvent(dm(`<@${BOT}> whoami`)) as SlackEventMessage).text, "whoami");
  // A bare mention is answered (with the hint).
  assertEquals((parseEvent(mention(`<@${BOT}>`)) as SlackEventMessage).text, "");
  // The app is who is spoken to, wherever it is named: never an argument.
  const text = (body: string) => (parseEvent(body) as SlackEventMessage).text;
  assertEquals(text(mention(`tasks <@${BOT}>`)), "tasks");
  assertEquals(text(mention(`add milk <@${BOT}|acme> now`)), "add milk now");
  assertEquals(text(mention(`<@${BOT}> add <@U0BOB> milk`)), "add @U0BOB milk");
  // A reply also sent to the conversation is what the person typed.
  assertEquals(text(dm("add From a thread", { subtype: "thread_broadcast" })), "add From a thread");
});

Deno.test("slack events: what is ignored", () => {
  const ignored = (body: string) => (parseEvent(body) as { kind: string }).kind;
  for (
    const body of [
      dm("tasks", { subtype: "bot_message", bot_id: "B0OTHER" }),
      dm("tasks", { bot_id: "B0BOT" }),
      dm("tasks", { subtype: "message_changed" }),
      dm("tasks", { subtype: "message_deleted" }),
      dm("tasks", { subtype: "file_share" }),
      dm("tasks", { user: BOT }),
      dm("   "),
      dm(`<@${BOT}>`),
      dm("tasks", { channel_type: "channel" }),
      mention("tasks", { subtype: "document_mention" }),
      // A mention in the app's DM is also a message.im, which answers it.
      mention(`<@${BOT}> add milk`, { channel: "D0DM" }),
      callback({ type: "reaction_added", user: "U0ALICE" }),
      JSON.stringify({ type: "app_rate_limited", team_id: "T0TEAM" }),
    ]
  ) assertEquals(ignored(body), "ignored", body);
});

Deno.test("slack events: malformed is a 400, never a 500", () => {
  const bad = [
    "{not json",
    "[]",
    JSON.stringify({ type: "event_callback" }),
    JSON.stringify({ type: "event_callback", event: { text: "x" } }),
    JSON.stringify({ type: "url_verification" }),
    dm("tasks", { user: undefined }),
    dm("tasks", { user: "alice" }),
    dm("tasks", { channel: "general" }),
    dm("tasks", { ts: "soon" }),
    dm("tasks", { thread_ts: 5 }),
    callback({ type: "app_mention", channel: "C0X", user: "U0A", text: "x", ts: "1.2" }, {
      event_id: "",
    }),
    callback({ type: "app_mention", channel: "C0X", user: "U0A", text: "x", ts: "1.2" }, {
      team_id: "nope",
    }),
  ];
  for (const body of bad) {
    let err: unknown;
    try {
      parseEvent(body);
    } catch (e) {
      err = e;
    }
    assertEquals(err instanceof GatewayError && err.status, 400, body);
  }
});

Deno.test("slack events: the text as typed, from Slack's markup", () => {
  assertEquals(typedText("add Read <https://x.test/a?b=1|x.test>"), "add Read x.test");
  assertEquals(typedText("add <https://x.test/a>"), "add https://x.test/a");
  assertEquals(typedText("add Mail <mailto:a@b.test|a@b.test>"), "add Mail a@b.test");
  assertEquals(
    typedText("add Ask <@U0ANN|ann> in <#C0GEN|general> <!here>"),
    "add Ask @ann in #general @here",
  );
  assertEquals(typedText("add Ask <@U0ANN>"), "add Ask @U0ANN");
  assertEquals(typedText("add a &lt;b&gt; &amp;amp; c"), "add a <b> &amp; c");
});

Deno.test("slack events: where the answer goes", () => {
  const base = {
    kind: "event" as const,
    account: { provider: "slack" as const, externalId: "T0TEAM:U0ALICE" },
    text: "tasks",
    ts: "1515449522.000016",
    eventId: "Ev1",
  };
  const message = { text: "Your tasks", blocks: [] };
  const inDm = eventReplyCall({ ...base, where: "dm", channel: "D0DM" }, {
    response_type: "ephemeral",
    ...message,
  });
  assertEquals(inDm, { method: "chat.postMessage", params: { channel: "D0DM", ...message } });
  const threadedDm = eventReplyCall(
    { ...base, where: "dm", channel: "D0DM", threadTs: "1.1" },
    message,
  );
  assertEquals(threadedDm.params.thread_ts, "1.1");
  // A channel: privately to the mentioner, in the thread only when the mention was in one.
  const mentioned = { ...base, where: "mention" as const, channel: "C0GEN" };
  assertEquals(eventReplyCall(mentioned, { response_type: "ephemeral", ...message }), {
    method: "chat.postEphemeral",
    params: { channel: "C0GEN", user: "U0ALICE", ...message },
  });
  assertEquals(
    eventReplyCall({ ...mentioned, threadTs: "1.1" }, { response_type: "ephemeral", ...message })
      .params.thread_ts,
    "1.1",
  );
  // A public command: in the channel, in the mention's thread.
  assertEquals(eventReplyCall(mentioned, { response_type: "in_channel", ...message }), {
    method: "chat.postMessage",
    params: { channel: "C0GEN", ...message, thread_ts: "1515449522.000016" },
  });
});
