/**
 * Unit tests of the Discord sink (dev/sinks): interaction webhooks, message validation, token
 * expiry, injected rate limits and command registration, driven through real `Request`s and the
 * `/__sinks/discord` mount.
 */

import assert from "node:assert/strict";
import {
  createDiscordSink,
  createTelegramSink,
  type DiscordSink,
  sinkMounts,
  type TelegramSink,
} from "../../dev/sinks/mod.ts";

const BASE = "http://127.0.0.1:54321";

type Json = Record<string, unknown>;

function mounts(telegram: TelegramSink, discord: DiscordSink) {
  const [tg, dc] = sinkMounts(telegram, discord);
  return { tg: tg.handler, dc: dc.handler };
}

/** Calls the Discord sink through the mount. */
async function dcCall(
  handler: (req: Request) => Promise<Response>,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const res = await handler(
    new Request(`${BASE}/__sinks/discord${path}`, {
      method,
      headers: { "content-type": "application/json", ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
  );
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
}

const APP = "1100000000000000001";
const INTERACTION = "aW50ZXJhY3Rpb246MTIzNDU2Nzg5MDp0b2tlbg";
const ORIGINAL = `/api/v10/webhooks/${APP}/${INTERACTION}/messages/@original`;
const FOLLOWUP = `/api/v10/webhooks/${APP}/${INTERACTION}`;
const GLOBAL_COMMANDS = `/api/v10/applications/${APP}/commands`;
const BOT_AUTH = { authorization: "Bot secret-bot-token" };

Deno.test("discord sink", async (t) => {
  let now = 1_700_000_000_000;
  const discord = createDiscordSink({ clock: () => now });
  const { dc } = mounts(createTelegramSink(), discord);

  await t.step("unknown interaction token answers 404 Unknown Webhook", async () => {
    const res = await dcCall(dc, "PATCH", ORIGINAL, { content: "hi" });
    assert.equal(res.status, 404);
    assert.deepEqual(res.body, { message: "Unknown Webhook", code: 10015 });
  });

  await t.step("PATCH @original, GET it, POST a follow-up", async () => {
    discord.registerInteraction(APP, INTERACTION);
    const edited = await dcCall(dc, "PATCH", ORIGINAL, { content: "Added #1" });
    assert.equal(edited.status, 200);
    assert.match(edited.body.id, /^\d{17,20}$/);
    assert.equal(edited.body.content, "Added #1");
    assert.equal(edited.body.flags, 0);
    assert.equal(edited.body.application_id, APP);
    assert.equal(typeof edited.body.edited_timestamp, "string");
    const fetched = await dcCall(dc, "GET", ORIGINAL);
    assert.deepEqual(fetched.body, edited.body);
    const followup = await dcCall(dc, "POST", FOLLOWUP, { content: "more", flags: 64 });
    assert.equal(followup.status, 200);
    assert.equal(followup.body.content, "more");
    assert.equal(followup.body.flags, 64);
    assert.notEqual(followup.body.id, edited.body.id);
    const state = discord.interaction(INTERACTION)!;
    assert.equal(state.original?.content, "Added #1");
    assert.equal(state.followups.size, 1);
  });

  await t.step("message bodies are validated like Discord", async () => {
    const long = await dcCall(dc, "POST", FOLLOWUP, { content: "x".repeat(2001) });
    assert.equal(long.status, 400);
    assert.equal(long.body.message, "Invalid Form Body");
    assert.equal(long.body.code, 50035);
    assert.deepEqual(long.body.errors, {
      content: {
        _errors: [{ code: "BASE_TYPE_MAX_LENGTH", message: "Must be 2000 or fewer in length." }],
      },
    });
    const empty = await dcCall(dc, "POST", FOLLOWUP, { content: "" });
    assert.equal(empty.status, 400);
    assert.deepEqual(empty.body, { message: "Cannot send an empty message", code: 50006 });
    const emptied = await dcCall(dc, "PATCH", ORIGINAL, { content: null });
    assert.equal(emptied.body.code, 50006);
    const embedOnly = await dcCall(dc, "POST", FOLLOWUP, { embeds: [{ title: "t" }] });
    assert.equal(embedOnly.status, 200);
    const badJson = await dc(
      new Request(`${BASE}/__sinks/discord${FOLLOWUP}`, { method: "POST", body: "{nope" }),
    );
    assert.equal(badJson.status, 400);
    assert.equal((await badJson.json()).code, 50109);
  });

  await t.step("DELETE @original, then it is an Unknown Message", async () => {
    const del = await dcCall(dc, "DELETE", ORIGINAL);
    assert.equal(del.status, 204);
    const get = await dcCall(dc, "GET", ORIGINAL);
    assert.equal(get.status, 404);
    assert.deepEqual(get.body, { message: "Unknown Message", code: 10008 });
  });

  await t.step("interaction tokens expire after 15 minutes", async () => {
    now += 15 * 60_000 - 1;
    assert.equal((await dcCall(dc, "POST", FOLLOWUP, { content: "just in time" })).status, 200);
    now += 1;
    const late = await dcCall(dc, "PATCH", ORIGINAL, { content: "too late" });
    assert.equal(late.status, 401);
    assert.deepEqual(late.body, { message: "Invalid Webhook Token", code: 50027 });
  });

  await t.step("unknown routes and wrong methods", async () => {
    assert.deepEqual((await dcCall(dc, "GET", "/api/v10/users/@me")).body, {
      message: "404: Not Found",
      code: 0,
    });
    assert.equal((await dcCall(dc, "GET", FOLLOWUP)).status, 405);
  });

  await t.step("failNext: 429 like Discord, then success", async () => {
    discord.registerInteraction(APP, INTERACTION);
    discord.failNext({ method: "patch", pathIncludes: "@original" }, {
      status: 429,
      retryAfter: 1.5,
    });
    const limited = await dcCall(dc, "PATCH", ORIGINAL, { content: "retry me" });
    assert.equal(limited.status, 429);
    assert.deepEqual(limited.body, {
      message: "You are being rate limited.",
      retry_after: 1.5,
      global: false,
    });
    assert.equal(limited.headers.get("retry-after"), "2");
    assert.equal(limited.headers.get("x-ratelimit-scope"), "user");
    const ok = await dcCall(dc, "PATCH", ORIGINAL, { content: "retry me" });
    assert.equal(ok.status, 200);
    discord.failNext({}, { status: 429, retryAfter: 0.25, global: true });
    const global = await dcCall(dc, "POST", FOLLOWUP, { content: "x" });
    assert.equal(global.body.global, true);
    assert.equal(global.headers.get("x-ratelimit-scope"), "global");
    assert.equal(global.headers.get("x-ratelimit-global"), "true");
    discord.failNext({ pathIncludes: "/webhooks/" }, { status: 503 });
    const down = await dcCall(dc, "POST", FOLLOWUP, { content: "x" });
    assert.deepEqual(down.body, { message: "503: Service Unavailable", code: 0 });
  });

  await t.step("PUT commands requires a bot token", async () => {
    const res = await dcCall(dc, "PUT", GLOBAL_COMMANDS, []);
    assert.equal(res.status, 401);
    assert.deepEqual(res.body, { message: "401: Unauthorized", code: 0 });
  });

  const add = {
    name: "add",
    description: "Add a task",
    options: [{ type: 3, name: "title", description: "What to do", required: true }],
  };

  await t.step("PUT commands stores them with ids; a re-PUT keeps ids", async () => {
    const res = await dcCall(dc, "PUT", GLOBAL_COMMANDS, [add, {
      name: "help",
      description: "Show help",
    }], BOT_AUTH);
    assert.equal(res.status, 200);
    assert.equal(res.body.length, 2);
    assert.match(res.body[0].id, /^\d+$/);
    assert.equal(res.body[0].application_id, APP);
    assert.equal(res.body[0].type, 1);
    assert.deepEqual(res.body[0].options, add.options);
    const listed = await dcCall(dc, "GET", GLOBAL_COMMANDS, undefined, BOT_AUTH);
    assert.deepEqual(listed.body, res.body);
    const again = await dcCall(dc, "PUT", GLOBAL_COMMANDS, [add], BOT_AUTH);
    assert.equal(again.body[0].id, res.body[0].id);
    assert.equal(discord.commands(APP).length, 1);
    const guild = `/api/v10/applications/${APP}/guilds/900000000000000001/commands`;
    const guildRes = await dcCall(dc, "PUT", guild, [add], BOT_AUTH);
    assert.equal(guildRes.body[0].guild_id, "900000000000000001");
    assert.equal(discord.commands(APP, "900000000000000001").length, 1);
  });

  await t.step("PUT commands validates like Discord", async () => {
    const option = (i: number, required = false) => ({
      type: 3,
      name: `o${i}`,
      description: "d",
      required,
    });
    const res = await dcCall(dc, "PUT", GLOBAL_COMMANDS, [
      { name: "Add", description: "Add a task" },
      { name: "list", description: "x".repeat(101) },
      { name: "many", description: "d", options: Array.from({ length: 26 }, (_, i) => option(i)) },
      { name: "order", description: "d", options: [option(1), option(2, true)] },
      { name: "has space", description: "d" },
    ], BOT_AUTH);
    assert.equal(res.status, 400);
    assert.equal(res.body.code, 50035);
    assert.equal(res.body.message, "Invalid Form Body");
    const codes = (node: unknown) => ((node as Json)._errors as Json[]).map((e) => e.code);
    assert.deepEqual(codes(res.body.errors[0].name), ["APPLICATION_COMMAND_INVALID_NAME"]);
    assert.deepEqual(codes(res.body.errors[1].description), ["BASE_TYPE_BAD_LENGTH"]);
    assert.deepEqual(codes(res.body.errors[2].options), ["BASE_TYPE_MAX_LENGTH"]);
    assert.deepEqual(codes(res.body.errors[3].options), [
      "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
    ]);
    assert.deepEqual(codes(res.body.errors[4].name), ["APPLICATION_COMMAND_INVALID_NAME"]);
    assert.equal(discord.commands(APP).length, 1, "a rejected PUT changes nothing");
  });

  await t.step("calls are recorded with the Authorization value redacted", async () => {
    const put = discord.calls.filter((c) => c.method === "PUT").at(-1)!;
    assert.equal(put.headers.authorization, "Bot [redacted]");
    assert.equal(put.status, 400);
    assert.ok(Array.isArray(put.body));
    const waiting = discord.waitFor((c) => c.method === "GET" && c.path === GLOBAL_COMMANDS, 1000);
    await dcCall(dc, "GET", GLOBAL_COMMANDS, undefined, BOT_AUTH);
    assert.equal((await waiting).status, 200);
  });

  await t.step("inspection routes under /__sinks/discord", async () => {
    const listed = await dcCall(dc, "GET", "/calls");
    assert.equal(listed.body.length, discord.calls.length);
    const commands = await dcCall(dc, "GET", `/commands?application_id=${APP}`);
    assert.equal(commands.body.length, 1);
    const reg = await dcCall(dc, "POST", "/interactions", { application_id: APP, token: "tok2" });
    assert.equal(reg.status, 204);
    const followup = await dcCall(dc, "POST", `/api/v10/webhooks/${APP}/tok2`, { content: "hi" });
    assert.equal(followup.status, 200);
    assert.equal((await dcCall(dc, "DELETE", "/calls")).status, 204);
    assert.equal(discord.calls.length, 0);
    discord.reset();
    assert.equal(discord.commands(APP).length, 0);
  });
});
