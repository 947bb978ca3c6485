/**
 * The sinks as the notification tests and the bench use them: Telegram's flood control (off by
 * default; one message a second per chat, 30 a second per bot, 429 with retry_after), and
 * Discord's direct messages (DM channels, 50007 for a closed DM, 10003 for an unknown channel,
 * per-channel buckets with X-RateLimit headers and 429).
 */
import { assertEquals } from "../assert.ts";
import { createDiscordSink, createTelegramSink } from "../../dev/sinks/mod.ts";

const TOKEN = "7000000009:SINK_TEST_TOKEN_abcdefghijk";

Deno.test("Telegram sink: flood control, off until switched on", async () => {
  let now = 1_000_000;
  const sink = createTelegramSink({ clock: () => now, privateChats: "any" });
  const send = async (chat: number) => {
    const res = await sink.handle(
      new Request("http://sink/x", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ chat_id: chat, text: "hi" }),
      }),
      `/bot${TOKEN}/sendMessage`,
    );
    return { status: res.status, body: await res.json(), retry: res.headers.get("retry-after") };
  };
  assertEquals([(await send(1)).status, (await send(1)).status], [200, 200], "off: no limit");
  sink.setLimits(true);
  assertEquals((await send(1)).status, 200);
  const limited = await send(1);
  assertEquals(limited.status, 429);
  assertEquals(limited.body.parameters, { retry_after: 1 });
  assertEquals(limited.body.description, "Too Many Requests: retry after 1");
  assertEquals(limited.retry, "1");
  now += 1_000;
  assertEquals((await send(1)).status, 200, "a second later");
  const statuses = [];
  for (let chat = 100; chat < 140; chat++) statuses.push((await send(chat)).status);
  assertEquals(statuses.filter((s) => s === 200).length, 29, "30 a second per bot in all");
});

Deno.test("Discord sink: direct messages, refusals and buckets", async () => {
  const sink = createDiscordSink();
  const call = async (path: string, body: unknown, auth = "Bot token") => {
    const res = await sink.handle(
      new Request("http://sink/x", {
        method: "POST",
        headers: { "content-type": "application/json", authorization: auth },
        body: JSON.stringify(body),
      }),
      `/api/v10${path}`,
    );
    return { status: res.status, body: await res.json(), headers: res.headers };
  };
  assertEquals((await call("/users/@me/channels", { recipient_id: "42" }, "")).status, 401);
  const opened = await call("/users/@me/channels", { recipient_id: "42" });
  assertEquals(opened.status, 200);
  const again = await call("/users/@me/channels", { recipient_id: "42" });
  assertEquals(again.body.id, opened.body.id, "one DM channel per recipient");
  const posted = await call(`/channels/${opened.body.id}/messages`, { content: "Hello" });
  assertEquals(posted.status, 200);
  assertEquals(sink.directMessages("42").map((m) => m.content), ["Hello"]);
  assertEquals((await call("/channels/999/messages", { content: "x" })).body.code, 10003);
  assertEquals((await call(`/channels/${opened.body.id}/messages`, {})).body.code, 50006);
  sink.refuseDirectMessages("42");
  const closed = await call(`/channels/${opened.body.id}/messages`, { content: "x" });
  assertEquals([closed.status, closed.body.code], [403, 50007]);

  sink.setLimits(true);
  const other = await call("/users/@me/channels", { recipient_id: "43" });
  const answers = [];
  for (let i = 0; i < 6; i++) {
    answers.push(await call(`/channels/${other.body.id}/messages`, { content: `m${i}` }));
  }
  assertEquals(answers.map((a) => a.status), [200, 200, 200, 200, 200, 429]);
  assertEquals(answers[4].headers.get("x-ratelimit-remaining"), "0");
  assertEquals(typeof answers[5].body.retry_after, "number");
});
