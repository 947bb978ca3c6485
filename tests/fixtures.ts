/**
 * Shared test helpers. Integration tests run against the real local stack that `deno task test`
 * starts (PostgreSQL + PostgREST with the project's migrations); its settings arrive in the
 * environment. Each test makes its own users, so tests never see each other's rows. Gateways are
 * built in-process around real sinks for Telegram, Discord and Slack served on an ephemeral port.
 */
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import { devAccessToken, type DevTokenOptions, type DevUser } from "../dev/auth.ts";
import { type DevSigningJwk, loadOrCreateDevKeys, postgrestJwks } from "../dev/keys.ts";
import { freePort } from "../dev/ports.ts";
import { type LocalPostgrest, startPostgrest } from "../dev/postgrest.ts";
import { unescapeHtml } from "../adapters/telegram/format.ts";
import { psqlAt } from "../dev/psql.ts";
import {
  createDiscordSink,
  createSlackSink,
  createTelegramSink,
  DISCORD_SINK_PREFIX,
  type DiscordSink,
  sinkMounts,
  SLACK_SINK_PREFIX,
  type SlackSink,
  TELEGRAM_SINK_PREFIX,
  type TelegramSink,
} from "../dev/sinks/mod.ts";
import { LOCAL_SLACK_BOTS, LOCAL_SLACK_TEAM } from "../dev/channel_secrets.ts";
import { directRestFetch } from "../dev/direct_rest.ts";
import type { AnyCommand } from "../supabase/functions/_shared/command.ts";
import { loadConfig } from "../supabase/functions/_shared/config.ts";
import { createLogger } from "../supabase/functions/_shared/log.ts";
import { createGateway, type Gateway } from "../supabase/functions/gateway/gateway.ts";

/** Integration tests skip sanitizers: the stack's connections outlive single tests. */
export const integration = { sanitizeOps: false, sanitizeResources: false };

/** The seeded demo users. */
export const ALICE: DevUser = {
  id: "a11ce000-0000-4000-8000-000000000001",
  email: "alice@example.com",
  app_metadata: { provider: "email", providers: ["email"], team: "red" },
};
export const BOB: DevUser = {
  id: "b0b00000-0000-4000-8000-000000000002",
  email: "bob@example.com",
  app_metadata: { provider: "email", providers: ["email"], team: "blue" },
};

/** A setting of the running test stack; a clear error when run outside `deno task test`. */
export function stackSetting(name: string): string {
  const value = Deno.env.get(name);
  if (!value) {
    throw new Error(`${name} is not set: run integration tests with \`./deno task test\`.`);
  }
  return value;
}

/** A test's own PostgREST: stopped, frozen (SIGSTOP) and resumed at will. */
export interface OwnPostgrest extends LocalPostgrest {
  pid(): number;
  /** SIGSTOP: connections are accepted and requests buffered, nothing is answered. */
  freeze(): void;
  /** SIGCONT after {@link OwnPostgrest.freeze}; a no-op otherwise. */
  thaw(): void;
}

/**
 * A PostgREST of the test's own on the stack's database (outage tests stop, freeze and restart
 * it without touching the stack's). `stop()` thaws it first, so a test's `finally` needs nothing
 * else.
 */
export async function ownPostgrest(name: string): Promise<OwnPostgrest> {
  const stateDir = `${stackSetting("STACK_STATE_DIR")}/${name}`;
  const rest = await startPostgrest({
    port: freePort(),
    dbUrl: stackSetting("STACK_AUTHENTICATOR_URL"),
    jwks: postgrestJwks(await loadOrCreateDevKeys(stackSetting("STACK_STATE_DIR"))),
    stateDir,
  });
  const pid = () => Number(Deno.readTextFileSync(`${stateDir}/postgrest.pid`).trim());
  let frozen: number | undefined;
  const thaw = () => {
    if (frozen === undefined) return;
    try {
      Deno.kill(frozen, "SIGCONT");
    } catch { /* gone */ }
    frozen = undefined;
  };
  const stop = rest.stop;
  return Object.assign(rest, {
    pid,
    freeze() {
      frozen = pid();
      Deno.kill(frozen, "SIGSTOP");
    },
    thaw,
    async stop() {
      thaw();
      await stop();
    },
  });
}

/** Runs SQL on the test database as the superuser. */
export function psql(sql: string): Promise<string> {
  return psqlAt(stackSetting("STACK_STATE_DIR"), Number(stackSetting("STACK_DB_PORT")), sql);
}

/** Creates a fresh user in auth.users (own id and email), for isolated tests. */
export async function newUser(
  appMetadata: Record<string, unknown> = { provider: "email", providers: ["email"] },
): Promise<DevUser> {
  const id = crypto.randomUUID();
  const email = `user-${id.slice(0, 8)}@example.test`;
  await psql(
    `insert into auth.users (id, email, raw_app_meta_data, raw_user_meta_data)
     values ('${id}', '${email}', '${JSON.stringify(appMetadata)}', '{"name":"Test"}')`,
  );
  return { id, email, app_metadata: appMetadata, user_metadata: { name: "Test" } };
}

/** An access token for `user`, as Supabase Auth would issue it on the test stack. */
export function tokenFor(user: DevUser, options?: DevTokenOptions): Promise<string> {
  const key = JSON.parse(stackSetting("GATEWAY_SIGNING_KEY")) as DevSigningJwk;
  return devAccessToken(key, `${stackSetting("SUPABASE_URL")}/auth/v1`, user, options);
}

/** A supabase-js client acting as the web app does for a signed-in user. */
export function webClient(token: string): SupabaseClient {
  return createClient(stackSetting("SUPABASE_URL"), stackSetting("SUPABASE_ANON_KEY"), {
    accessToken: () => Promise.resolve(token),
    db: { retry: false },
  });
}

/** A fresh link code for the user, created through the web app's path (PostgREST RPC). */
export async function linkCodeFor(token: string): Promise<string> {
  const { data, error } = await webClient(token).rpc("create_link_code");
  if (error) throw new Error(`create_link_code failed: ${error.message}`);
  return (data as { code: string }).code;
}

/** A random platform user id (digits), so tests never share chat accounts. */
export function randomExternalId(): string {
  return String(1_000_000_000 + Math.floor(Math.random() * 8_000_000_000));
}

/** A gateway built in-process for one test, with its sinks and counters. */
export interface TestGateway {
  handler: Gateway;
  telegram: TelegramSink;
  discord: DiscordSink;
  slack: SlackSink;
  /** Where the Slack sink is served (response URLs are registered under it). */
  slackSinkUrl: string;
  /** The environment the gateway was configured from. */
  env: Record<string, string>;
  /** Log lines the gateway wrote. */
  logs: string[];
  /** Calls the gateway made to PostgREST so far. */
  dbCalls(): number;
  /** Sends a request to `path` under `/functions/v1/gateway`. */
  request(path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

/** Options of {@link startGateway}. */
export interface TestGatewayOptions {
  /** Environment overrides (merged over the stack's gateway settings). */
  env?: Record<string, string>;
  commands?: readonly AnyCommand[];
  /** PostgREST to use instead of the stack's (outage tests start their own). */
  restUrl?: string;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** How long a command may run (default: the gateway's own limit). */
  commandTimeoutMs?: number;
  /** Wraps the gateway's outgoing fetch (to PostgREST and the sinks), e.g. to record or delay it. */
  wrapFetch?: (fetch: typeof globalThis.fetch) => typeof globalThis.fetch;
}

const GATEWAY_VARS = [
  "SUPABASE_URL",
  "SUPABASE_ANON_KEY",
  "SUPABASE_SERVICE_ROLE_KEY",
  "GATEWAY_SIGNING_KEY",
  "GATEWAY_JWT_SECRET",
  "GATEWAY_CORS_ORIGINS",
  "TELEGRAM_BOT_TOKEN",
  "TELEGRAM_WEBHOOK_SECRET",
  "TELEGRAM_BOT_USERNAME",
  "DISCORD_PUBLIC_KEY",
  "DISCORD_APPLICATION_ID",
  "DISCORD_BOT_TOKEN",
  "TELEGRAM_BOTS",
  "DISCORD_APPS",
  "SLACK_SIGNING_SECRET",
  "SLACK_BOT_TOKEN",
  "SLACK_APPS",
];

/** Builds a gateway against the test stack, with sinks on an ephemeral port. */
export function startGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  const telegram = createTelegramSink();
  const discord = createDiscordSink();
  const slack = createSlackSink();
  const mounts = sinkMounts(telegram, discord, slack);
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, (req) => {
    const path = new URL(req.url).pathname;
    const mount = mounts.find((m) => path.startsWith(m.prefix));
    return mount ? mount.handler(req) : new Response("not found", { status: 404 });
  });
  const sinkUrl = `http://127.0.0.1:${server.addr.port}`;
  const env: Record<string, string> = {};
  for (const name of GATEWAY_VARS) {
    const value = Deno.env.get(name);
    if (value) env[name] = value;
  }
  const apis = {
    TELEGRAM_API_ROOT: `${sinkUrl}${TELEGRAM_SINK_PREFIX}`,
    DISCORD_API_BASE: `${sinkUrl}${DISCORD_SINK_PREFIX}/api/v10`,
    SLACK_API_BASE: `${sinkUrl}${SLACK_SINK_PREFIX}/api`,
  };
  // Every bot talks to this gateway's own sinks.
  const retarget = (list: string | undefined, field: string, url: string) =>
    list && JSON.stringify(
      (JSON.parse(list) as Record<string, unknown>[]).map((b) => ({ ...b, [field]: url })),
    );
  Object.assign(env, apis, options.env);
  if (env.TELEGRAM_BOTS) {
    env.TELEGRAM_BOTS = retarget(env.TELEGRAM_BOTS, "apiRoot", apis.TELEGRAM_API_ROOT)!;
  }
  if (env.DISCORD_APPS) {
    env.DISCORD_APPS = retarget(env.DISCORD_APPS, "apiBase", apis.DISCORD_API_BASE)!;
  }
  if (env.SLACK_APPS) env.SLACK_APPS = retarget(env.SLACK_APPS, "apiBase", apis.SLACK_API_BASE)!;
  // The sink's workspace knows every app's bot token, as Slack does once the app is installed.
  const slackTokens = [
    ["default", env.SLACK_BOT_TOKEN],
    ...(JSON.parse(env.SLACK_APPS || "[]") as { name: string; botToken?: string }[])
      .map((a) => [a.name, a.botToken]),
  ];
  for (const [name, token] of slackTokens) {
    // Each app its own bot, so a test can tell which app's token a message went out with.
    const ids = LOCAL_SLACK_BOTS[name!] ??
      { userId: `U0${name!.toUpperCase()}`, botId: `B0${name!.toUpperCase()}` };
    if (token) slack.addBot(token, { team: LOCAL_SLACK_TEAM, ...ids });
  }
  const restUrl = options.restUrl ?? stackSetting("STACK_REST_URL");
  const direct = directRestFetch(env.SUPABASE_URL, restUrl);
  const outgoing = options.wrapFetch ? options.wrapFetch(direct) : direct;
  let dbCalls = 0;
  const countingFetch: typeof fetch = (input, init) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    if (url.includes("/rest/v1/")) dbCalls++;
    return outgoing(input, init);
  };
  const logs: string[] = [];
  const config = loadConfig(env);
  // The sink knows every configured application as Discord does (its token, its commands).
  for (const app of config.discordApps) {
    if (!app.botToken) continue;
    discord.registerApplication({
      applicationId: app.applicationId,
      botToken: app.botToken,
      publicKey: app.publicKey,
    });
  }
  const handler = createGateway(config, {
    commands: options.commands,
    fetch: countingFetch,
    log: createLogger((line) => logs.push(line)),
    now: options.now,
    sleep: options.sleep,
    commandTimeoutMs: options.commandTimeoutMs,
  });
  return Promise.resolve({
    handler,
    telegram,
    discord,
    slack,
    slackSinkUrl: `${sinkUrl}${SLACK_SINK_PREFIX}`,
    env,
    logs,
    dbCalls: () => dbCalls,
    request: (path, init) =>
      handler(new Request(`http://gateway.test/functions/v1/gateway${path}`, init)),
    async close() {
      await handler.core.drain();
      await server.shutdown();
    },
  });
}

/** Calls `POST /commands/{name}` as the token's user; returns status, body and headers. */
export async function runCommand(
  gw: TestGateway,
  token: string | null,
  name: string,
  args: unknown = {},
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const res = await gw.request(`/commands/${name}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: typeof args === "string" ? args : JSON.stringify(args),
  });
  return { status: res.status, body: await res.json(), headers: res.headers };
}

let updateSeq = Math.floor(Math.random() * 1_000_000) * 1000;

/** A fresh Telegram update_id. */
export function nextUpdateId(): number {
  return ++updateSeq;
}

/** Options for {@link telegramMessage}. */
export interface TelegramMessageOptions {
  fromId: string;
  text: string;
  updateId?: number;
  chat?: { id: number; type: "private" | "group" | "supergroup" | "channel" };
  isBot?: boolean;
}

/** A Telegram update carrying a text message, shaped as the Bot API sends it. */
export function telegramMessage(options: TelegramMessageOptions): Record<string, unknown> {
  const chat = options.chat ?? { id: Number(options.fromId), type: "private" };
  return {
    update_id: options.updateId ?? nextUpdateId(),
    message: {
      message_id: Math.floor(Math.random() * 100_000),
      date: Math.floor(Date.now() / 1000),
      chat: chat.type === "private"
        ? { ...chat, first_name: "Test" }
        : { ...chat, title: "Test group" },
      from: {
        id: Number(options.fromId),
        is_bot: options.isBot ?? false,
        first_name: "Test",
        username: `user${options.fromId}`,
      },
      text: options.text,
      ...(options.text.startsWith("/")
        ? {
          entities: [{
            type: "bot_command",
            offset: 0,
            length: options.text.split(/\s/)[0].length,
          }],
        }
        : {}),
    },
  };
}

/**
 * Posts an update to the gateway's Telegram webhook with the right (or given) secret. With the
 * right secret the update is Telegram's: its sink learns of it first (who wrote to the bot in
 * private may be written to there), as Telegram knows before it delivers.
 */
export function postUpdate(
  gw: Pick<TestGateway, "request" | "env"> & { telegram?: TelegramSink },
  update: unknown,
  secret: string | null = gw.env.TELEGRAM_WEBHOOK_SECRET,
): Promise<Response> {
  if (gw.telegram && secret === gw.env.TELEGRAM_WEBHOOK_SECRET && typeof update === "object") {
    gw.telegram.noteUpdate(gw.env.TELEGRAM_BOT_TOKEN, update);
  }
  return gw.request("/telegram", {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(secret === null ? {} : { "x-telegram-bot-api-secret-token": secret }),
    },
    body: typeof update === "string" ? update : JSON.stringify(update),
  });
}

/** The texts the bot sent to `chatId` so far, oldest first, as the user reads them. */
export function sentTexts(gw: TestGateway, chatId: string | number): string[] {
  return gw.telegram.calls("sendMessage")
    .filter((c) => String(c.params.chat_id) === String(chatId))
    .map((c) => {
      const text = String(c.params.text);
      return c.params.parse_mode === "HTML" ? unescapeHtml(text) : text;
    });
}

/** Sends `/link <code>` from a Telegram account and returns the bot's reply. */
export async function linkTelegram(gw: TestGateway, fromId: string, code: string): Promise<string> {
  const before = sentTexts(gw, fromId).length;
  const res = await postUpdate(gw, telegramMessage({ fromId, text: `/link ${code}` }));
  if (res.status !== 200) throw new Error(`link update answered ${res.status}`);
  return sentTexts(gw, fromId).slice(before).join("\n");
}

/** The number of tasks a user owns (read as the superuser, bypassing RLS). */
export async function taskCount(userId: string): Promise<number> {
  return Number(await psql(`select count(*) from public.tasks where user_id = '${userId}'`));
}
