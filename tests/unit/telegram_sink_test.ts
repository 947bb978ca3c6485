/**
 * Unit tests of the Telegram sink (dev/sinks): Bot API answers, error shapes, injected rate
 * limits, driven through real `Request`s and the `/__sinks/telegram` mount, plus a real grammY
 * `Api` talking to the sink over loopback HTTP.
 */

import assert from "node:assert/strict";
import { Api, GrammyError } from "grammy";
import {
  createDiscordSink,
  createTelegramSink,
  type DiscordSink,
  sinkMounts,
  type TelegramSink,
} from "../../dev/sinks/mod.ts";

const TOKEN = "123456:ABC-def_GHIjkl";
const BASE = "http://127.0.0.1:54321";

type Json = Record<string, unknown>;

function mounts(telegram: TelegramSink, discord: DiscordSink) {
  const [tg, dc] = sinkMounts(telegram, discord);
  return { tg: tg.handler, dc: dc.handler };
}

/** Calls a Bot API method through the mount with a JSON body. */
async function tgCall(
  handler: (req: Request) => Promise<Response>,
  method: string,
  params?: Json,
  token = TOKEN,
) {
  const res = await handler(
    new Request(`${BASE}/__sinks/telegram/bot${token}/${method}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: params === undefined ? undefined : JSON.stringify(params),
    }),
  );
  return { status: res.status, headers: res.headers, body: await res.json() as Json };
}

/** A private message from `userId` to the bot, as Telegram delivers it after the user's Start. */
function privateStart(userId: number): Json {
  const user = { id: userId, is_bot: false, first_name: "User" };
  return {
    update_id: userId,
    message: {
      message_id: 1,
      date: 1_700_000_000,
      chat: { id: userId, type: "private", first_name: "User" },
      from: user,
      text: "/start",
      entities: [{ type: "bot_command", offset: 0, length: 6 }],
    },
  };
}

Deno.test("telegram sink", async (t) => {
  let now = 1_700_000_000_000;
  const telegram = createTelegramSink({ clock: () => now });
  const { tg } = mounts(telegram, createDiscordSink());
  // The private chats these steps write to: their users started the bot.
  for (const id of [1, 5, 7, 9, 42]) telegram.noteUpdate(TOKEN, privateStart(id));

  await t.step("getMe describes the bot of the token", async () => {
    const { status, body } = await tgCall(tg, "getMe");
    assert.equal(status, 200);
    const me = body.result as Json;
    assert.equal(body.ok, true);
    assert.equal(me.id, 123456);
    assert.equal(me.is_bot, true);
    assert.equal(typeof me.username, "string");
  });

  await t.step("sendMessage returns a Message, ids per chat", async () => {
    const first = await tgCall(tg, "sendMessage", { chat_id: 42, text: "hello" });
    assert.equal(first.status, 200);
    const msg = first.body.result as Json;
    assert.equal(msg.message_id, 1);
    assert.equal(msg.text, "hello");
    assert.equal(msg.date, Math.floor(now / 1000));
    assert.deepEqual(msg.chat, { id: 42, first_name: "User", type: "private" });
    assert.equal((msg.from as Json).id, 123456);
    const second = await tgCall(tg, "sendMessage", { chat_id: 42, text: "again" });
    assert.equal((second.body.result as Json).message_id, 2);
    const group = await tgCall(tg, "SENDMESSAGE", { chat_id: -100123, text: "hi group" });
    assert.equal((group.body.result as Json).message_id, 1);
    assert.equal(((group.body.result as Json).chat as Json).type, "group");
    assert.equal(telegram.calls("sendMessage").length, 3);
  });

  await t.step("form-urlencoded and multipart bodies are understood", async () => {
    const markup = { inline_keyboard: [[{ text: "ok", callback_data: "ok" }]] };
    const form = new URLSearchParams({
      chat_id: "7",
      text: "form",
      reply_markup: JSON.stringify(markup),
    });
    const res = await tg(
      new Request(`${BASE}/__sinks/telegram/bot${TOKEN}/sendMessage`, {
        method: "POST",
        body: form,
      }),
    );
    const msg = (await res.json()).result as Json;
    assert.equal((msg.chat as Json).id, 7);
    assert.deepEqual(msg.reply_markup, markup);
    const multipart = new FormData();
    multipart.set("chat_id", "7");
    multipart.set("text", "multi");
    const res2 = await tg(
      new Request(`${BASE}/__sinks/telegram/bot${TOKEN}/sendMessage`, {
        method: "POST",
        body: multipart,
      }),
    );
    assert.equal(((await res2.json()).result as Json).text, "multi");
  });

  await t.step("unknown method and malformed token path answer 404 Not Found", async () => {
    const expected = { ok: false, error_code: 404, description: "Not Found" };
    const unknown = await tgCall(tg, "sendTelepathy", { chat_id: 1 });
    assert.equal(unknown.status, 404);
    assert.deepEqual(unknown.body, expected);
    const malformed = await tgCall(tg, "getMe", {}, "not-a-token");
    assert.equal(malformed.status, 404);
    assert.deepEqual(malformed.body, expected);
  });

  await t.step("sendMessage validation errors", async () => {
    const cases: [Json, string][] = [
      [{ chat_id: 1 }, "Bad Request: message text is empty"],
      [{ chat_id: 1, text: "   " }, "Bad Request: message text is empty"],
      [{ text: "x" }, "Bad Request: chat_id is empty"],
      [{ chat_id: "nobody", text: "x" }, "Bad Request: chat not found"],
      [{ chat_id: 1, text: "x".repeat(4097) }, "Bad Request: message is too long"],
    ];
    for (const [params, description] of cases) {
      const { status, body } = await tgCall(tg, "sendMessage", params);
      assert.equal(status, 400);
      assert.deepEqual(body, { ok: false, error_code: 400, description });
    }
    const ok = await tgCall(tg, "sendMessage", { chat_id: 1, text: "x".repeat(4096) });
    assert.equal(ok.status, 200);
  });

  await t.step("parse_mode MarkdownV2 and HTML are checked", async () => {
    const bad: [string, string, string][] = [
      ["MarkdownV2", "Version 1.5 is out!", "Character '.' is reserved"],
      ["MarkdownV2", "*bold without end", "Can't find end of Bold entity"],
      ["HTML", "<b>unclosed", `Can't find end tag corresponding to start tag "b"`],
      ["HTML", "<blink>old</blink>", `Unsupported start tag "blink"`],
      ["HTML", "<b>x</i>", "Unmatched end tag"],
    ];
    for (const [parse_mode, text, detail] of bad) {
      const { status, body } = await tgCall(tg, "sendMessage", { chat_id: 1, text, parse_mode });
      assert.equal(status, 400, text);
      assert.match(String(body.description), /^Bad Request: can't parse entities: /);
      assert.ok(String(body.description).includes(detail), String(body.description));
    }
    const good: [string, string, string][] = [
      [
        "MarkdownV2",
        "*Done:* task \\#3 \\(v1\\.5\\) [link](https://x.y/a_b)",
        "Done: task #3 (v1.5) link",
      ],
      ["MarkdownV2", "`a.b` and ```\ncode!\n```", "a.b and \ncode!"],
      ["HTML", '<b>a &amp; b</b> <a href="https://x.y">l</a>', "a & b l"],
    ];
    for (const [parse_mode, text, shown] of good) {
      const { status, body } = await tgCall(tg, "sendMessage", { chat_id: 1, text, parse_mode });
      assert.equal(status, 200, JSON.stringify(body));
      assert.equal((body.result as Json).text, shown);
    }
  });

  await t.step("private chats take messages only from a bot its user started", async () => {
    const send = (chat_id: number) => tgCall(tg, "sendMessage", { chat_id, text: "hi" });
    const refused = (status: number, description: string) => ({
      status,
      body: { ok: false, error_code: status, description },
    });
    const pick = (r: { status: number; body: Json }) => ({ status: r.status, body: r.body });
    // Never in an update to this bot: Telegram does not know the chat.
    assert.deepEqual(pick(await send(3001)), refused(400, "Bad Request: chat not found"));
    // Seen pressing a button in a group: known, but the bot may not write first.
    telegram.noteUpdate(TOKEN, {
      update_id: 2,
      callback_query: {
        id: "77",
        from: { id: 3001, is_bot: false, first_name: "Presser" },
        chat_instance: "-1",
        message: { message_id: 9, date: 0, chat: { id: -100123, type: "supergroup" } },
        data: "x",
      },
    });
    assert.deepEqual(
      pick(await send(3001)),
      refused(403, "Forbidden: bot can't initiate conversation with a user"),
    );
    assert.equal((await tgCall(tg, "sendMessage", { chat_id: -100123, text: "hi" })).status, 200);
    telegram.noteUpdate(TOKEN, privateStart(3001));
    assert.equal((await send(3001)).status, 200);
    // Stopped and blocked in the private chat, then restarted.
    const member = (status: string) => ({
      update_id: 3,
      my_chat_member: {
        chat: { id: 3001, type: "private", first_name: "Presser" },
        from: { id: 3001, is_bot: false, first_name: "Presser" },
        date: 1_700_000_000,
        old_chat_member: {
          user: { id: 123456, is_bot: true, first_name: "Bot" },
          status: "member",
        },
        new_chat_member: { user: { id: 123456, is_bot: true, first_name: "Bot" }, status },
      },
    });
    telegram.noteUpdate(TOKEN, member("kicked"));
    assert.deepEqual(
      pick(await send(3001)),
      refused(403, "Forbidden: bot was blocked by the user"),
    );
    telegram.noteUpdate(TOKEN, member("member"));
    assert.equal((await send(3001)).status, 200);
    // Another bot's users are not this bot's.
    assert.equal(
      (await tgCall(tg, "sendMessage", { chat_id: 3001, text: "x" }, "654321:x")).status,
      400,
    );
    // A stack whose updates do not pass the sink opens every private chat.
    const open = mounts(createTelegramSink({ privateChats: "any" }), createDiscordSink());
    assert.equal((await tgCall(open.tg, "sendMessage", { chat_id: 3002, text: "hi" })).status, 200);
  });

  await t.step("editMessageText and deleteMessage", async () => {
    const sent = await tgCall(tg, "sendMessage", { chat_id: 5, text: "v1" });
    const id = (sent.body.result as Json).message_id;
    now += 5_000;
    const edited = await tgCall(tg, "editMessageText", { chat_id: 5, message_id: id, text: "v2" });
    assert.equal(edited.status, 200);
    assert.equal((edited.body.result as Json).text, "v2");
    assert.equal((edited.body.result as Json).edit_date, Math.floor(now / 1000));
    const long = await tgCall(tg, "editMessageText", {
      chat_id: 5,
      message_id: id,
      text: "&lt;".repeat(4097), // 4097 characters once parsed: over the limit
      parse_mode: "HTML",
    });
    assert.deepEqual(long.body, {
      ok: false,
      error_code: 400,
      description: "Bad Request: message is too long",
    });
    const same = await tgCall(tg, "editMessageText", { chat_id: 5, message_id: id, text: "v2" });
    assert.equal(same.status, 400);
    assert.match(String(same.body.description), /^Bad Request: message is not modified/);
    const del = await tgCall(tg, "deleteMessage", { chat_id: 5, message_id: id });
    assert.deepEqual(del.body, { ok: true, result: true });
    const again = await tgCall(tg, "deleteMessage", { chat_id: 5, message_id: id });
    assert.equal(again.body.description, "Bad Request: message to delete not found");
    const gone = await tgCall(tg, "editMessageText", { chat_id: 5, message_id: id, text: "v3" });
    assert.equal(gone.body.description, "Bad Request: message to edit not found");
  });

  await t.step("a message the bot never sent cannot be edited", async () => {
    for (const method of ["editMessageText", "editMessageReplyMarkup"]) {
      const never = await tgCall(tg, method, { chat_id: 9, message_id: 9999, text: "x" });
      assert.deepEqual(never.body, {
        ok: false,
        error_code: 400,
        description: "Bad Request: message to edit not found",
      }, method);
    }
  });

  await t.step("a reply's Message carries the message it replies to", async () => {
    const group = -1001000000555;
    const member = { id: 77, is_bot: false, first_name: "Member" };
    const command = {
      message_id: 300,
      date: 1_700_000_000,
      chat: { id: group, type: "supergroup", title: "Team" },
      from: member,
      text: "/tasks",
    };
    telegram.noteUpdate(TOKEN, { update_id: 300, message: command });
    const reply = await tgCall(tg, "sendMessage", {
      chat_id: group,
      text: "the list",
      reply_parameters: { message_id: 300, allow_sending_without_reply: true },
    });
    const sent = reply.body.result as Json;
    assert.deepEqual(sent.reply_to_message, command);
    // Replying to the bot's own message: that one, without what it replied to.
    const next = await tgCall(tg, "sendMessage", {
      chat_id: group,
      text: "more",
      reply_parameters: { message_id: sent.message_id },
    });
    const quoted = (next.body.result as Json).reply_to_message as Json;
    assert.equal(quoted.message_id, sent.message_id);
    assert.equal(quoted.text, "the list");
    assert.equal(quoted.reply_to_message, undefined);
    // A message Telegram does not have: refused, unless sending without the reply is allowed.
    const missing = await tgCall(tg, "sendMessage", {
      chat_id: group,
      text: "x",
      reply_parameters: { message_id: 123456 },
    });
    assert.equal(missing.body.description, "Bad Request: message to be replied not found");
    const allowed = await tgCall(tg, "sendMessage", {
      chat_id: group,
      text: "x",
      reply_parameters: { message_id: 123456, allow_sending_without_reply: true },
    });
    assert.equal(allowed.status, 200);
    assert.equal((allowed.body.result as Json).reply_to_message, undefined);
  });

  await t.step("webhook settings are remembered", async () => {
    const empty = await tgCall(tg, "getWebhookInfo");
    assert.deepEqual(empty.body.result, {
      url: "",
      has_custom_certificate: false,
      pending_update_count: 0,
    });
    const url = "https://example.com/functions/v1/gateway/telegram";
    const set = await tgCall(tg, "setWebhook", {
      url,
      secret_token: "s3cret_token",
      allowed_updates: ["message", "callback_query"],
    });
    assert.deepEqual(set.body, { ok: true, result: true, description: "Webhook was set" });
    const info = (await tgCall(tg, "getWebhookInfo")).body.result as Json;
    assert.equal(info.url, url);
    assert.equal(info.has_custom_certificate, false);
    assert.equal(info.pending_update_count, 0);
    assert.deepEqual(info.allowed_updates, ["message", "callback_query"]);
    assert.equal(telegram.webhook(TOKEN)?.secret_token, "s3cret_token");
    const polling = await tgCall(tg, "getUpdates");
    assert.equal(polling.status, 409);
    const http = await tgCall(tg, "setWebhook", { url: "http://example.com/hook" });
    assert.equal(http.status, 400);
    assert.match(String(http.body.description), /HTTPS URL must be provided/);
    const secret = await tgCall(tg, "setWebhook", { url, secret_token: "no spaces!" });
    assert.equal(secret.status, 400);
    const deleted = await tgCall(tg, "deleteWebhook");
    assert.deepEqual(deleted.body, { ok: true, result: true, description: "Webhook was deleted" });
    assert.equal(((await tgCall(tg, "getWebhookInfo")).body.result as Json).url, "");
    assert.equal(telegram.webhook(TOKEN), null);
  });

  await t.step("what getWebhookInfo reports about deliveries is set per token", async () => {
    const url = "https://example.com/functions/v1/gateway/telegram";
    await tgCall(tg, "setWebhook", { url });
    telegram.setWebhookStatus(TOKEN, {
      pending_update_count: 3,
      last_error_date: 1_700_000_000,
      last_error_message: "Wrong response from the webhook: 500 Internal Server Error",
    });
    const info = (await tgCall(tg, "getWebhookInfo")).body.result as Json;
    assert.equal(info.pending_update_count, 3);
    assert.equal(info.last_error_date, 1_700_000_000);
    assert.match(String(info.last_error_message), /500 Internal Server Error/);
    const other = (await tgCall(tg, "getWebhookInfo", {}, "999:other_bot_token")).body.result;
    assert.equal((other as Json).pending_update_count, 0, "another token's is its own");
    // Over HTTP, for tests in another process than the stack; null clears the error.
    const res = await tg(
      new Request(`${BASE}/__sinks/telegram/webhook-status`, {
        method: "POST",
        body: JSON.stringify({ token: TOKEN, last_error_date: null, last_error_message: null }),
      }),
    );
    assert.equal(res.status, 204);
    const cleared = (await tgCall(tg, "getWebhookInfo")).body.result as Json;
    assert.equal(cleared.pending_update_count, 3);
    assert.equal("last_error_date" in cleared || "last_error_message" in cleared, false);
    const bad = await tg(
      new Request(`${BASE}/__sinks/telegram/webhook-status`, {
        method: "POST",
        body: JSON.stringify({ token: TOKEN, pending_update_count: -1 }),
      }),
    );
    assert.equal(bad.status, 400);
    await bad.body?.cancel();
    // drop_pending_updates forgets what waits, as Telegram does.
    await tgCall(tg, "setWebhook", { url, drop_pending_updates: true });
    assert.equal(
      ((await tgCall(tg, "getWebhookInfo")).body.result as Json).pending_update_count,
      0,
    );
    await tgCall(tg, "deleteWebhook");
  });

  await t.step("commands, callback answers and chat actions", async () => {
    const commands = [{ command: "add", description: "Add a task" }];
    assert.deepEqual((await tgCall(tg, "setMyCommands", { commands })).body, {
      ok: true,
      result: true,
    });
    assert.deepEqual((await tgCall(tg, "getMyCommands")).body.result, commands);
    const scoped = await tgCall(tg, "getMyCommands", { scope: { type: "all_private_chats" } });
    assert.deepEqual(scoped.body.result, []);
    const invalid = await tgCall(tg, "setMyCommands", {
      commands: [{ command: "Add", description: "x" }],
    });
    assert.equal(invalid.status, 400);
    const answer = await tgCall(tg, "answerCallbackQuery", { callback_query_id: "99" });
    assert.deepEqual(answer.body, { ok: true, result: true });
    const alert = { callback_query_id: "99", show_alert: true };
    const longest = await tgCall(tg, "answerCallbackQuery", { ...alert, text: "x".repeat(200) });
    assert.equal(longest.status, 200);
    const tooLong = await tgCall(tg, "answerCallbackQuery", { ...alert, text: "x".repeat(201) });
    assert.deepEqual(tooLong.body, {
      ok: false,
      error_code: 400,
      description: "Bad Request: MESSAGE_TOO_LONG",
    });
    const action = await tgCall(tg, "sendChatAction", { chat_id: 1, action: "typing" });
    assert.deepEqual(action.body, { ok: true, result: true });
    const wrong = await tgCall(tg, "sendChatAction", { chat_id: 1, action: "dancing" });
    assert.equal(wrong.body.description, "Bad Request: wrong parameter action in request");
  });

  await t.step("failNext: 429 with retry_after, then success", async () => {
    telegram.failNext("sendMessage", { status: 429, retryAfter: 3 }, 2);
    for (let i = 0; i < 2; i++) {
      const limited = await tgCall(tg, "sendMessage", { chat_id: 9, text: "busy" });
      assert.equal(limited.status, 429);
      assert.equal(limited.headers.get("retry-after"), "3");
      assert.deepEqual(limited.body, {
        ok: false,
        error_code: 429,
        description: "Too Many Requests: retry after 3",
        parameters: { retry_after: 3 },
      });
    }
    const ok = await tgCall(tg, "sendMessage", { chat_id: 9, text: "busy" });
    assert.equal(ok.status, 200);
    telegram.failNext("*", { status: 403, description: "Forbidden: bot was kicked" });
    const forbidden = await tgCall(tg, "getMe");
    assert.deepEqual(forbidden.body, {
      ok: false,
      error_code: 403,
      description: "Forbidden: bot was kicked",
    });
  });

  await t.step("calls are recorded and can be awaited", async () => {
    const last = telegram.sent.at(-1)!;
    assert.equal(last.method, "getMe");
    assert.equal(last.token, TOKEN);
    assert.equal(last.status, 403);
    assert.equal(last.time, now);
    const limited = telegram.calls("sendMessage").filter((c) => c.status === 429);
    assert.equal(limited.length, 2);
    assert.deepEqual(limited[0].params, { chat_id: 9, text: "busy" });
    const waiting = telegram.waitFor((c) => c.params.text === "later", 1000);
    await tgCall(tg, "sendMessage", { chat_id: 9, text: "later" });
    assert.equal((await waiting).status, 200);
    await assert.rejects(telegram.waitFor((c) => c.params.text === "never", 20), /no matching/);
  });

  await t.step("GET /__sinks/telegram/sent lists calls, DELETE clears", async () => {
    const res = await tg(new Request(`${BASE}/__sinks/telegram/sent?method=getMe`));
    const listed = await res.json() as Json[];
    assert.ok(listed.length >= 1 && listed.every((c) => c.method === "getMe"));
    const cleared = await tg(new Request(`${BASE}/__sinks/telegram/sent`, { method: "DELETE" }));
    assert.equal(cleared.status, 204);
    assert.equal(telegram.sent.length, 0);
    telegram.reset();
    assert.equal(((await tgCall(tg, "getMyCommands")).body.result as unknown[]).length, 0);
  });
});

Deno.test("a real grammY Api talks to the Telegram sink over HTTP", async () => {
  const telegram = createTelegramSink();
  telegram.noteUpdate(TOKEN, privateStart(4242));
  const [tgMount, dcMount] = sinkMounts(telegram, createDiscordSink());
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const { pathname } = new URL(req.url);
    for (const mount of [tgMount, dcMount]) {
      if (pathname.startsWith(mount.prefix + "/")) return mount.handler(req);
    }
    return new Response("not found", { status: 404 });
  });
  try {
    const api = new Api(TOKEN, {
      apiRoot: `http://127.0.0.1:${server.addr.port}/__sinks/telegram`,
    });
    const message = await api.sendMessage(4242, "Hello *there*", { parse_mode: "MarkdownV2" });
    assert.equal(message.message_id, 1);
    assert.equal(message.chat.id, 4242);
    assert.equal(message.text, "Hello there");
    assert.equal(
      await api.setWebhook("https://example.com/functions/v1/gateway/telegram", {
        secret_token: "s3cret",
        allowed_updates: ["message"],
      }),
      true,
    );
    const info = await api.getWebhookInfo();
    assert.equal(info.url, "https://example.com/functions/v1/gateway/telegram");
    assert.deepEqual(info.allowed_updates, ["message"]);

    const err = await api.sendMessage(4242, "").catch((e) => e);
    assert.ok(err instanceof GrammyError);
    assert.equal(err.error_code, 400);
    assert.equal(err.description, "Bad Request: message text is empty");
    telegram.failNext("sendMessage", { status: 429, retryAfter: 2 });
    const limited = await api.sendMessage(4242, "x").catch((e) => e);
    assert.ok(limited instanceof GrammyError);
    assert.equal(limited.parameters.retry_after, 2);

    const [sent] = telegram.calls("sendMessage");
    assert.equal(sent.token, TOKEN);
    assert.deepEqual(sent.params, {
      chat_id: 4242,
      text: "Hello *there*",
      parse_mode: "MarkdownV2",
    });
    assert.equal(sent.status, 200);
    const [hook] = telegram.calls("setWebhook");
    assert.equal(hook.params.secret_token, "s3cret");
    assert.equal(hook.params.url, "https://example.com/functions/v1/gateway/telegram");
    assert.deepEqual(
      telegram.sent.map((c) => `${c.method}:${c.status}`),
      [
        "sendMessage:200",
        "setWebhook:200",
        "getWebhookInfo:200",
        "sendMessage:400",
        "sendMessage:429",
      ],
    );
  } finally {
    await server.shutdown();
  }
});

Deno.test("telegram sink switches over HTTP: limits, an injected failure, a block", async () => {
  // As the dev stack runs it: every private chat open (its updates do not pass the sink).
  const { tg } = mounts(createTelegramSink({ privateChats: "any" }), createDiscordSink());
  const control = async (path: string, body: unknown) => {
    const res = await tg(
      new Request(`${BASE}/__sinks/telegram${path}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      }),
    );
    await res.body?.cancel();
    return res.status;
  };
  const send = (chat: number) => tgCall(tg, "sendMessage", { chat_id: chat, text: "hi" });

  assert.equal(await control("/limits", { enabled: true }), 204);
  assert.equal((await send(4001)).status, 200);
  const limited = await send(4001);
  assert.equal(limited.status, 429);
  assert.deepEqual(limited.body.parameters, { retry_after: 1 });
  assert.equal(await control("/limits", { enabled: false }), 204);
  assert.equal((await send(4001)).status, 200);

  assert.equal(
    await control("/fail-next", { method: "sendMessage", status: 429, retry_after: 9 }),
    204,
  );
  const injected = await send(4002);
  assert.equal(injected.status, 429);
  assert.equal(injected.headers.get("retry-after"), "9");
  assert.equal((await send(4002)).status, 200, "only the next call");

  assert.equal(await control("/block", { token: TOKEN, chat_id: 4003 }), 204);
  assert.deepEqual(
    [(await send(4003)).status, (await send(4003)).body.description],
    [403, "Forbidden: bot was blocked by the user"],
  );
  assert.equal(
    (await tgCall(tg, "sendMessage", { chat_id: 4003, text: "x" }, "654321:x")).status,
    200,
    "another bot's chat",
  );
  assert.equal(await control("/block", { token: TOKEN, chat_id: 4003, blocked: false }), 204);
  assert.equal((await send(4003)).status, 200, "restarted");

  for (
    const [path, body] of [["/limits", {}], ["/fail-next", { status: 429 }], ["/block", {
      chat_id: 1,
    }]]
  ) {
    assert.equal(await control(path as string, body), 400, `${path} ${JSON.stringify(body)}`);
  }
});
