/**
 * The corpus of real payloads (`tests/corpus`, provenance in `tests/corpus/SOURCES.md`): loading
 * it, and the rewrites a replay needs so a payload found elsewhere reaches this test's gateway as
 * if it had been sent to it: a fresh `update_id` or interaction id, the people in it replaced by
 * the test's linked accounts, commands addressed to the test bot. Nothing else is changed.
 */
import { assert, assertEquals, assertMatch } from "./assert.ts";
import {
  DISCORD_APP_ID,
  type DiscordKeys,
  postInteraction,
  snowflake,
} from "./discord_fixtures.ts";
import { nextUpdateId, postUpdate, type TestGateway, webClient } from "./fixtures.ts";

/** Longest answer we accept for one payload (Telegram and Discord both give up after seconds). */
export const MAX_MS = 2000;

/** One payload as stored: a name unique in its file, where it came from, the payload itself. */
export interface CorpusEntry {
  name: string;
  from: string;
  note?: string;
  payload: Record<string, unknown>;
}

/** An entry with its file: `key` is `<file without .json>/<name>`. */
export interface Loaded extends CorpusEntry {
  key: string;
}

type Json = Record<string, unknown>;

const CORPUS = new URL("./corpus/", import.meta.url);

/** Every entry of `tests/corpus/<platform>/*.json`, files in name order. */
export async function loadCorpus(platform: "telegram" | "discord" | "slack"): Promise<Loaded[]> {
  const dir = new URL(`${platform}/`, CORPUS);
  const files: string[] = [];
  for await (const f of Deno.readDir(dir)) if (f.name.endsWith(".json")) files.push(f.name);
  const out: Loaded[] = [];
  for (const file of files.sort()) {
    const entries = JSON.parse(await Deno.readTextFile(new URL(file, dir))) as CorpusEntry[];
    for (const e of entries) out.push({ ...e, key: `${file.replace(/\.json$/, "")}/${e.name}` });
  }
  return out;
}

const clone = <T>(v: T): T => structuredClone(v);
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null;

/** The update's message-like object (message, edited_message, business_message, …), if any. */
export function updateKind(update: Json): string {
  return Object.keys(update).find((k) => k !== "update_id") ?? "(none)";
}

/**
 * A Telegram update ready to replay: a fresh `update_id`, and every person in it (a `from` or
 * `user` that is not a bot, and their private chat) replaced by the account `tg`. Bots and
 * chats of groups and channels keep their ids. With `text`, the message's text is replaced (and
 * its command entity set as Telegram would); `{bot}` in it becomes the test bot's username.
 */
export function telegramReplay(
  update: Json,
  tg: number,
  options: { text?: string; botUsername?: string } = {},
): Json {
  const out = clone(update);
  out.update_id = nextUpdateId();
  const people = new Set<number>();
  const collect = (v: unknown) => {
    if (Array.isArray(v)) return v.forEach(collect);
    if (!isObject(v)) return;
    for (const key of ["from", "user"]) {
      const p = v[key];
      if (isObject(p) && typeof p.id === "number" && p.is_bot !== true) people.add(p.id);
    }
    Object.values(v).forEach(collect);
  };
  collect(out);
  const swap = (v: unknown) => {
    if (Array.isArray(v)) return v.forEach(swap);
    if (!isObject(v)) return;
    if (typeof v.id === "number" && people.has(v.id)) v.id = tg;
    if (typeof v.user_chat_id === "number" && people.has(v.user_chat_id)) v.user_chat_id = tg;
    Object.values(v).forEach(swap);
  };
  swap(out);
  if (options.text !== undefined) {
    const message = out[updateKind(out)] as Json;
    const text = options.text.replaceAll("{bot}", options.botUsername ?? "");
    message.text = text;
    message.entities = text.startsWith("/")
      ? [{ type: "bot_command", offset: 0, length: text.split(/\s/)[0].length }]
      : undefined;
  }
  return out;
}

/** How a Discord replay is addressed: the linked account, and optional command rewrites. */
export interface DiscordRewrite {
  userId: string;
  /** A command name of ours instead of the one found. */
  name?: string;
  /** Options instead of the ones found. */
  options?: Json[];
}

/**
 * A Discord interaction ready to replay: a fresh id and token, this test's application id, and
 * the invoking user (`member.user` or `user`) replaced by `userId`. The docs give some examples
 * as `type` and `data` only ("...additionalInteractionFields"); those get a DM `user`.
 */
export function discordReplay(found: Json, rewrite: DiscordRewrite): Json {
  const out = clone(found);
  const id = snowflake();
  out.id = id;
  out.application_id = DISCORD_APP_ID;
  // Interaction tokens are credentials for 15 minutes; each replay gets its own, as Discord does.
  out.token = `aW50ZXJhY3Rpb246${id}${crypto.randomUUID().replaceAll("-", "")}`;
  if (out.type !== 1) {
    const member = out.member as Json | undefined;
    if (isObject(member) && isObject(member.user)) member.user.id = rewrite.userId;
    else if (isObject(out.user)) out.user.id = rewrite.userId;
    else out.user = { id: rewrite.userId, username: `user${rewrite.userId}` };
  }
  const data = out.data as Json | undefined;
  if (isObject(data)) {
    if (rewrite.name) data.name = rewrite.name;
    if (rewrite.options) data.options = rewrite.options;
  }
  return out;
}

/** The user's tasks as text, to see that nothing changed (read through RLS with their token). */
export async function taskRows(token: string): Promise<string> {
  const { data, error } = await webClient(token).from("tasks").select("*").order("id");
  if (error) throw new Error(`reading tasks failed: ${error.message}`);
  return JSON.stringify(data);
}

/** What a replayed Telegram update must get. */
export type Expect = "command" | "hint" | "silent" | "either";

/** One Telegram replay: the update to post and what it must get. */
export interface Replay {
  key: string;
  update: Record<string, unknown>;
  expect: Expect;
  reply?: RegExp;
}

/**
 * Posts one update and checks its answer; throws on a mismatch. All: 2xx within MAX_MS.
 * "silent": nothing sent and no database call. "command" and "hint": replies, each accepted
 * by the sink, to the message's chat, quoting it outside the private chat of `tg`, with
 * message_thread_id exactly when the message is in a forum topic. "either": any of these.
 */
export async function checkTelegram(gw: TestGateway, r: Replay, tg: number): Promise<void> {
  const message = r.update[updateKind(r.update)] as Record<string, unknown>;
  const chat = (message?.chat ?? {}) as { id?: number; type?: string };
  if (message?.is_topic_message === true && typeof chat.id === "number") {
    gw.telegram.addForumTopic(chat.id, Number(message.message_thread_id));
  }
  await gw.handler.core.drain(); // an earlier entry's ledger completion is not this one's call
  const sentBefore = gw.telegram.sent.length;
  const dbBefore = gw.dbCalls();
  const started = performance.now();
  const res = await postUpdate(gw, r.update);
  const ms = performance.now() - started;
  await res.body?.cancel();
  assert(res.status >= 200 && res.status < 300, `${r.key}: answered ${res.status}`);
  assert(ms < MAX_MS, `${r.key}: took ${Math.round(ms)} ms`);
  const sent = gw.telegram.sent.slice(sentBefore);
  const query = r.update.callback_query as { id?: unknown; from?: { id?: unknown } } | undefined;
  if (typeof query?.id === "string" && Number.isSafeInteger(query.from?.id)) {
    // A press of another bot's button: its data does not verify, so it is answered (a notice
    // that the button is not valid) and nothing runs.
    assertEquals(sent.map((c) => c.method), ["answerCallbackQuery"], `${r.key}: a press`);
    assertEquals(gw.dbCalls(), dbBefore, `${r.key}: a foreign button touched the database`);
    return;
  }
  if (r.expect === "silent") {
    assertEquals(sent.map((c) => c.method), [], `${r.key}: expected silence`);
    assertEquals(gw.dbCalls(), dbBefore, `${r.key}: a silent update touched the database`);
    return;
  }
  if (r.expect === "either" && sent.length === 0) return;
  assert(sent.length > 0, `${r.key}: expected a reply, nothing was sent`);
  for (const call of sent) {
    assertEquals(call.method, "sendMessage", `${r.key}: sent ${call.method}`);
    assertEquals(
      call.status,
      200,
      `${r.key}: Telegram refused the reply: ${JSON.stringify(call.response)}`,
    );
    assertEquals(Number(call.params.chat_id), chat.id, `${r.key}: reply to the wrong chat`);
    const thread = message.is_topic_message === true ? message.message_thread_id : undefined;
    assertEquals(call.params.message_thread_id, thread, `${r.key}: message_thread_id`);
    if (chat.id !== tg) {
      const quote = call.params.reply_parameters as { message_id?: number } | undefined;
      assertEquals(quote?.message_id, message.message_id, `${r.key}: group reply must quote`);
    }
  }
  const text = sent.map((c) => String(c.params.text)).join("\n");
  if (r.expect === "hint") assertMatch(text, /Send \/help/, `${r.key}: hint`);
  if (r.reply) assertMatch(text, r.reply, `${r.key}: reply text`);
}

/** What the gateway answered to one replayed interaction. */
export interface InteractionAnswer {
  status: number;
  body: { type?: number; data?: Record<string, unknown>; error?: { code?: string } } | null;
  /** Database calls the gateway made for it. */
  dbCalls: number;
}

/** Posts a replayed interaction, signed with `keys`; checks 2xx-or-4xx within MAX_MS. */
export async function postReplay(
  gw: TestGateway,
  keys: DiscordKeys,
  key: string,
  body: Json,
): Promise<InteractionAnswer> {
  const db = gw.dbCalls();
  const started = performance.now();
  const res = await postInteraction(gw, keys, body);
  const ms = performance.now() - started;
  const text = await res.text();
  assert(res.status < 500, `${key}: answered ${res.status}: ${text}`);
  assert(ms < MAX_MS, `${key}: took ${Math.round(ms)} ms`);
  return {
    status: res.status,
    body: text ? JSON.parse(text) : null,
    dbCalls: gw.dbCalls() - db,
  };
}
