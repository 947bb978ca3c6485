/**
 * The Slack sink behaves like Slack: a response URL takes five posts within 30 minutes and then
 * refuses (404 `used_url`, `expired_url`); the Web API answers refusals with HTTP 200 and
 * `{ok:false,error}` (`not_authed`, `invalid_auth`, `channel_not_found`, `not_in_channel`,
 * `user_not_found`, `message_not_found`, `cant_update_message`) and a rate limit with 429 and
 * Retry-After. Also the gateway's side against it: posting to a response URL (429 waited out,
 * refusals final) and `sendSlackDirectMessage` (conversations.open + chat.postMessage). People's
 * messages (what mention and DM events are about), `thread_ts`, and `chat.postEphemeral` with its
 * refusals (`user_not_in_channel`, `user_not_found`).
 */
import { assert, assertEquals } from "../assert.ts";
import {
  createDiscordSink,
  createSlackSink,
  createTelegramSink,
  sinkMounts,
  SLACK_SINK_PREFIX,
  type SlackSink,
} from "../../dev/sinks/mod.ts";
import { postResponse } from "../../adapters/slack/respond.ts";
import { sendSlackDirectMessage } from "../../adapters/slack/dm.ts";
import { slackMessage } from "../../adapters/slack/format.ts";
import { silentLogger } from "../../supabase/functions/_shared/log.ts";

const BASE = `http://sink.test${SLACK_SINK_PREFIX}`;
const TEAM = "T0SINK";
const TOKEN = "xoxb-sink-token";

function sinkWithClock() {
  let now = 1_700_000_000_000;
  const sink = createSlackSink({ clock: () => now });
  sink.addBot(TOKEN, { team: TEAM, userId: "U0BOT", botId: "B0BOT" });
  return { sink, advance: (ms: number) => (now += ms) };
}

/** The sink as the gateway's fetch sees it. */
function sinkFetch(sink: SlackSink): typeof fetch {
  return (input, init) => {
    const req = new Request(input, init);
    return sink.handle(req, new URL(req.url).pathname.slice(SLACK_SINK_PREFIX.length));
  };
}

async function post(sink: SlackSink, url: string, body: unknown, headers: HeadersInit = {}) {
  const res = await sinkFetch(sink)(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json(), headers: res.headers };
}

const api = (sink: SlackSink, method: string, params: unknown, token: string | null = TOKEN) =>
  post(sink, `${BASE}/api/${method}`, params, token ? { authorization: `Bearer ${token}` } : {});

Deno.test("slack sink: a response URL takes five posts within 30 minutes", async (t) => {
  const { sink, advance } = sinkWithClock();
  await t.step("five, then used_url", async () => {
    const url = sink.responseUrl(BASE, { team: TEAM, user: "U0ALICE" });
    for (let i = 1; i <= 5; i++) {
      assertEquals((await post(sink, url, { text: `answer ${i}` })).status, 200);
    }
    const sixth = await post(sink, url, { text: "sixth" });
    assertEquals([sixth.status, sixth.body], [404, { ok: false, error: "used_url" }]);
    assertEquals(sink.response(url)!.posted.length, 5);
  });
  await t.step("after 30 minutes, expired_url", async () => {
    const url = sink.responseUrl(BASE, { team: TEAM, user: "U0ALICE" });
    advance(30 * 60_000 + 1);
    const late = await post(sink, url, { text: "late" });
    assertEquals([late.status, late.body.error], [404, "expired_url"]);
  });
  await t.step("unknown URL, bad JSON, nothing to show", async () => {
    assertEquals(
      (await post(sink, `${BASE}/commands/T0/1/nope`, { text: "x" })).body.error,
      "no_service",
    );
    const url = sink.responseUrl(BASE, { team: TEAM, user: "U0ALICE" });
    const broken = await post(sink, url, "{");
    assertEquals([broken.status, broken.body.error], [400, "invalid_payload"]);
    const empty = await post(sink, url, { response_type: "ephemeral" });
    assertEquals([empty.status, empty.body.error], [400, "no_text"]);
    const blocks = await post(sink, url, {
      blocks: [{ type: "section", text: { type: "plain_text", text: "x".repeat(3001) } }],
    });
    assertEquals([blocks.status, blocks.body.error], [400, "invalid_blocks"]);
    assertEquals(sink.response(url)!.uses, 0, "refused posts do not count");
  });
  await t.step("replace_original and delete_original act on the pressed message", async () => {
    const url = sink.responseUrl(BASE, {
      kind: "actions",
      team: TEAM,
      user: "U0ALICE",
      original: { text: "before", ephemeral: true },
    });
    await post(sink, url, { replace_original: true, text: "after" });
    assertEquals(sink.response(url)!.original?.text, "after");
    assertEquals(sink.response(url)!.original?.ephemeral, true);
    await post(sink, url, { response_type: "in_channel", text: "for everyone" });
    assertEquals(sink.response(url)!.posted[0].ephemeral, false);
    await post(sink, url, { delete_original: true });
    assertEquals(sink.response(url)!.original, null);
  });
});

Deno.test("slack sink: the Web API answers as Slack does", async (t) => {
  const { sink } = sinkWithClock();
  await t.step("not_authed, invalid_auth (HTTP 200)", async () => {
    const none = await api(sink, "auth.test", {}, null);
    assertEquals([none.status, none.body], [200, { ok: false, error: "not_authed" }]);
    assertEquals((await api(sink, "auth.test", {}, "xoxb-wrong")).body.error, "invalid_auth");
    assertEquals((await api(sink, "auth.test", {})).body.team_id, TEAM);
  });
  await t.step("conversations.open, chat.postMessage, chat.update", async () => {
    const opened = await api(sink, "conversations.open", { users: "U0ALICE" });
    assertEquals(opened.body, { ok: true, channel: { id: "DU0ALICE" } });
    const posted = await api(sink, "chat.postMessage", { channel: "DU0ALICE", text: "hi" });
    assertEquals(posted.body.ok, true);
    assertEquals(posted.body.channel, "DU0ALICE");
    const updated = await api(sink, "chat.update", {
      channel: "DU0ALICE",
      ts: posted.body.ts,
      text: "hello",
    });
    assertEquals(updated.body.ok, true);
    assertEquals(sink.messages[0].text, "hello");
    assertEquals(
      (await api(sink, "chat.update", { channel: "DU0ALICE", ts: "1.1", text: "x" })).body.error,
      "message_not_found",
    );
  });
  await t.step("channel_not_found, not_in_channel, user_not_found, no_text", async () => {
    const errors = async (method: string, params: unknown) =>
      (await api(sink, method, params)).body.error;
    assertEquals(
      await errors("chat.postMessage", { channel: "C0NOPE", text: "x" }),
      "channel_not_found",
    );
    sink.addChannel("C0PUBLIC", TEAM, false);
    assertEquals(
      await errors("chat.postMessage", { channel: "C0PUBLIC", text: "x" }),
      "not_in_channel",
    );
    sink.addChannel("C0OTHER", "T0OTHER", true);
    assertEquals(
      await errors("chat.postMessage", { channel: "C0OTHER", text: "x" }),
      "channel_not_found",
    );
    sink.removeUser("U0GONE");
    assertEquals(await errors("conversations.open", { users: "U0GONE" }), "user_not_found");
    assertEquals(await errors("conversations.open", {}), "users_list_not_supplied");
    assertEquals(await errors("chat.postMessage", { channel: "DU0ALICE" }), "no_text");
  });
  await t.step("cant_update_message: another bot's message", async () => {
    sink.addBot("xoxb-other", { team: TEAM, userId: "U0BOT2", botId: "B0BOT2" });
    const { ts } =
      (await api(sink, "chat.postMessage", { channel: "DU0ALICE", text: "mine" })).body;
    const res = await api(
      sink,
      "chat.update",
      { channel: "DU0ALICE", ts, text: "x" },
      "xoxb-other",
    );
    assertEquals(res.body.error, "cant_update_message");
  });
  await t.step("a form-encoded call with its token as a field", async () => {
    const res = await sinkFetch(sink)(`${BASE}/api/chat.postMessage`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token: TOKEN, channel: "DU0ALICE", text: "form" }),
    });
    assertEquals((await res.json()).ok, true);
  });
  await t.step("an injected rate limit: 429 with Retry-After", async () => {
    sink.failNext({ method: "chat.postMessage" }, { status: 429, retryAfter: 7 });
    const limited = await api(sink, "chat.postMessage", { channel: "DU0ALICE", text: "x" });
    assertEquals([limited.status, limited.body.error], [429, "ratelimited"]);
    assertEquals(limited.headers.get("retry-after"), "7");
  });
  await t.step("calls are recorded, tokens redacted", () => {
    assert(sink.calls.length > 0);
    assert(sink.calls.every((c) => !JSON.stringify(c.headers).includes(TOKEN)));
  });
});

Deno.test("slack responses: 429 waited out, refusals final, never thrown", async () => {
  const { sink } = sinkWithClock();
  const slept: number[] = [];
  const core = {
    fetch: sinkFetch(sink),
    sleep: (ms: number) => Promise.resolve(void slept.push(ms)),
    log: silentLogger,
  };
  const url = sink.responseUrl(BASE, { team: TEAM, user: "U0ALICE" });
  sink.failNext({ kind: "response" }, { status: 429, retryAfter: 2 });
  sink.failNext({ kind: "response" }, { status: 503 });
  assertEquals(await postResponse(core, url, slackMessage("one")), true);
  assertEquals(slept, [2000, 1000]);
  for (let i = 0; i < 4; i++) await postResponse(core, url, slackMessage("more"));
  const before = slept.length;
  assertEquals(await postResponse(core, url, slackMessage("sixth")), false);
  assertEquals(slept.length, before, "used_url was retried");
});

Deno.test("slack direct messages: conversations.open then chat.postMessage", async (t) => {
  const { sink } = sinkWithClock();
  const deps = { fetch: sinkFetch(sink) };
  const app = { apiBase: `${BASE}/api`, botToken: TOKEN };
  await t.step("sent to the user's direct message channel", async () => {
    const result = await sendSlackDirectMessage(deps, app, `${TEAM}:U0ALICE`, slackMessage("Hi"));
    assertEquals(result.ok, true);
    assertEquals(sink.messages.at(-1)?.channel, "DU0ALICE");
    assertEquals(sink.calls.map((c) => c.method), ["conversations.open", "chat.postMessage"]);
  });
  await t.step("refusals say whether to try again", async () => {
    sink.removeUser("U0GONE");
    assertEquals(await sendSlackDirectMessage(deps, app, `${TEAM}:U0GONE`, slackMessage("x")), {
      ok: false,
      error: "user_not_found",
      retryable: false,
    });
    assertEquals(
      await sendSlackDirectMessage(deps, { ...app, botToken: "xoxb-revoked" }, `${TEAM}:U0A`, {
        text: "x",
      }),
      { ok: false, error: "invalid_auth", retryable: false },
    );
    sink.failNext({ method: "chat.postMessage" }, { status: 429, retryAfter: 30 });
    assertEquals(await sendSlackDirectMessage(deps, app, `${TEAM}:U0ALICE`, { text: "x" }), {
      ok: false,
      error: "ratelimited",
      retryable: true,
      retryAfterSeconds: 30,
    });
    assertEquals(
      (await sendSlackDirectMessage(deps, app, "7001", { text: "x" })).ok,
      false,
    );
    assertEquals(
      await sendSlackDirectMessage(
        { fetch: () => Promise.reject(new TypeError("down")) },
        app,
        `${TEAM}:U0A`,
        { text: "x" },
      ),
      { ok: false, error: "unreachable", retryable: true },
    );
  });
});

Deno.test("slack sink: one direct message channel per user id, its letter included", async () => {
  const { sink } = sinkWithClock();
  const open = async (user: string) =>
    (await api(sink, "conversations.open", { users: user })).body.channel.id;
  const [u, w] = [await open("U0BOB"), await open("W0BOB")];
  assert(u !== w, `U0BOB and W0BOB share ${u}`);
  assertEquals(await open("U0BOB"), u, "the same user, the same channel");
});

Deno.test("slack sink: chat.postMessage limited per channel; switches over HTTP", async (t) => {
  const { sink, advance } = sinkWithClock();
  const [mount] = sinkMounts(createTelegramSink(), createDiscordSink(), sink);
  const control = async (path: string, body: unknown) => {
    const res = await mount.handler(
      new Request(`${BASE}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      }),
    );
    await res.body?.cancel();
    return res.status;
  };
  const postTo = (channel: string) => api(sink, "chat.postMessage", { channel, text: "x" });
  await api(sink, "conversations.open", { users: "U0ALICE" });
  await api(sink, "conversations.open", { users: "U0BOB" });
  await t.step("off until switched on", async () => {
    for (let i = 0; i < 5; i++) assertEquals((await postTo("DU0ALICE")).status, 200);
  });
  await t.step("on: a short burst, then 429 ratelimited with Retry-After", async () => {
    assertEquals(await control("/limits", { enabled: true }), 204);
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await postTo("DU0ALICE"));
    assertEquals(answers.map((a) => a.status), [200, 200, 200, 429]);
    assertEquals(answers[3].body, { ok: false, error: "ratelimited" });
    assertEquals(answers[3].headers.get("retry-after"), "3");
    assertEquals((await postTo("DU0BOB")).status, 200, "another channel has its own limit");
    advance(3_000);
    assertEquals((await postTo("DU0ALICE")).status, 200, "the window moved on");
    assertEquals(await control("/limits", { enabled: false }), 204);
  });
  await t.step("an injected failure over HTTP", async () => {
    assertEquals(
      await control("/fail-next", { method: "chat.postMessage", status: 429, retry_after: 5 }),
      204,
    );
    const limited = await postTo("DU0ALICE");
    assertEquals([limited.status, limited.headers.get("retry-after")], [429, "5"]);
    assertEquals((await postTo("DU0ALICE")).status, 200);
    assertEquals(await control("/fail-next", { method: "chat.postMessage" }), 400);
    assertEquals(await control("/limits", { enabled: "yes" }), 400);
  });
});

Deno.test("slack sink: people's messages, threads and ephemeral messages", async (t) => {
  const { sink } = sinkWithClock();
  await t.step("a DM written by a person opens it; the bot answers in it", async () => {
    const written = sink.userMessage({ team: TEAM, user: "U0ALICE", text: "tasks" });
    assertEquals(written.channel, "DU0ALICE");
    const posted = await api(sink, "chat.postMessage", {
      channel: written.channel,
      text: "hi",
      thread_ts: written.ts,
    });
    assertEquals(posted.body.ok, true);
    assertEquals(sink.messages.at(-1)?.threadTs, written.ts);
    assertEquals(
      (await api(sink, "chat.postMessage", { channel: "DU0ALICE", text: "x", thread_ts: "soon" }))
        .body.error,
      "invalid_arguments",
    );
  });
  await t.step("chat.postEphemeral: to one person in the channel", async () => {
    const mention = sink.userMessage({
      team: TEAM,
      user: "U0ALICE",
      text: "<@U0BOT> tasks",
      channel: "C0GENERAL",
    });
    const sent = await api(sink, "chat.postEphemeral", {
      channel: mention.channel,
      user: "U0ALICE",
      text: "only you",
    });
    assertEquals(sent.body.ok, true);
    assertEquals(typeof sent.body.message_ts, "string");
    assertEquals(sink.ephemerals.map((m) => [m.channel, m.user, m.text]), [
      ["C0GENERAL", "U0ALICE", "only you"],
    ]);
    assertEquals(sink.messages.filter((m) => m.channel === "C0GENERAL"), []);
    const error = async (params: Record<string, unknown>) =>
      (await api(sink, "chat.postEphemeral", { text: "x", ...params })).body.error;
    assertEquals(await error({ channel: "C0GENERAL", user: "U0BOB" }), "user_not_in_channel");
    assertEquals(await error({ channel: "C0GENERAL" }), "user_not_found");
    assertEquals(await error({ channel: "C0NOPE", user: "U0ALICE" }), "channel_not_found");
    assertEquals(
      await error({ channel: "C0GENERAL", user: "U0ALICE", text: "" }),
      "no_text",
    );
  });
  await t.step("over HTTP: POST /__sinks/slack/messages", async () => {
    const mounts = sinkMounts(createTelegramSink(), createDiscordSink(), sink);
    const slack = mounts.find((m) => m.prefix === SLACK_SINK_PREFIX)!;
    const res = await slack.handler(
      new Request(`${BASE}/messages`, {
        method: "POST",
        body: JSON.stringify({ team: TEAM, user: "U0CAROL", text: "whoami" }),
      }),
    );
    const body = await res.json();
    assertEquals([res.status, body.channel], [200, "DU0CAROL"]);
    const bad = await slack.handler(
      new Request(`${BASE}/messages`, { method: "POST", body: JSON.stringify({ user: "U0X" }) }),
    );
    assertEquals(bad.status, 400);
    await bad.body?.cancel();
  });
});
