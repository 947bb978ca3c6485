/**
 * The bench's own stack: a fresh PostgreSQL and PostgREST (free ports, JWT cache on, as the
 * platform runs it), a table seeded as a real one would be, the Telegram, Discord and Slack sinks
 * the gateway replies to, the dev keys and the two users' access tokens, and the environment every
 * gateway process starts from.
 */
import { devAccessToken } from "../dev/auth.ts";
import { type DevKeys, loadOrCreateDevKeys, postgrestJwks, publicJwks } from "../dev/keys.ts";
import { type LocalPostgres, startPostgres } from "../dev/postgres.ts";
import { freePort } from "../dev/ports.ts";
import { type LocalPostgrest, startPostgrest } from "../dev/postgrest.ts";
import {
  createDiscordSink,
  createSlackSink,
  createTelegramSink,
  sinkMounts,
  SLACK_SINK_PREFIX,
} from "../dev/sinks/mod.ts";
import { REPO_ROOT } from "../dev/paths.ts";

/** Where the bench keeps its state (database, CA, pre-built requests, profiles, results). */
export const STATE = `${REPO_ROOT}/.local/bench`;
export const ALICE = "a11ce000-0000-4000-8000-000000000001"; // reads
export const BOB = "b0b00000-0000-4000-8000-000000000002"; // writes (so reads stay the same size)
export const TG = { alice: "424242", bob: "525252" };
export const DC = { alice: "424243", bob: "525253" };
/** The Slack workspace and its two users (the linked account is `<team>:<user>`). */
export const SL = { team: "T0BENCH", alice: "U0ALICE", bob: "U0BOB" };
/** The gateways' SUPABASE_URL on the plain path: only REST is used, and it goes to `restUrl`. */
export const PLAIN_SUPABASE_URL = "http://127.0.0.1:1";

/** The running stack and what the scenarios need from it. */
export interface BenchStack {
  db: LocalPostgres;
  rest: LocalPostgrest;
  keys: DevKeys;
  sinkUrl: string;
  aliceToken: string;
  bobToken: string;
  webhookSecret: string;
  slackSigningSecret: string;
  discordKey: CryptoKeyPair;
  discordApplicationId: string;
  /** The environment of a gateway on the plain path (one Telegram bot, Discord app, Slack app). */
  gatewayEnv: Record<string, string>;
  /** Forgets what the sinks recorded (they keep every call; a long run would hoard them). */
  clearSinks(): void;
  stop(): Promise<void>;
}

export const hex = (b: ArrayBuffer) =>
  Array.from(new Uint8Array(b), (x) => x.toString(16).padStart(2, "0")).join("");

/** Starts the stack and seeds it. */
export async function startStack(): Promise<BenchStack> {
  const keys = await loadOrCreateDevKeys(STATE);
  const db = await startPostgres({ stateDir: STATE, port: freePort(), reset: true });
  const rest = await startPostgrest({
    port: freePort(),
    dbUrl: db.authenticatorUrl,
    jwks: postgrestJwks(keys),
    stateDir: STATE,
  });
  await db.psql(`insert into chat_identities (user_id, provider, external_id) values
    ('${ALICE}', 'telegram', '${TG.alice}'), ('${ALICE}', 'discord', '${DC.alice}'),
    ('${BOB}', 'telegram', '${TG.bob}'), ('${BOB}', 'discord', '${DC.bob}'),
    ('${ALICE}', 'slack', '${SL.team}:${SL.alice}'), ('${BOB}', 'slack', '${SL.team}:${SL.bob}');
    insert into tasks (user_id, title, source)
      select '${ALICE}', 'Task ' || n, 'web' from generate_series(1, 20) n;
    -- Other users, as a real table has: with two owners only, the planner would estimate half
    -- the table per owner and scan it all once the writes have grown it.
    insert into auth.users (id, email)
      select gen_random_uuid(), 'user' || n || '@example.com' from generate_series(1, 2000) n;
    insert into tasks (user_id, title, source)
      select id, 'Task', 'web' from auth.users, generate_series(1, 5) where email like 'user%';
    analyze;`);

  // Updates are posted straight to the gateway, not through the sink: every private chat is open.
  const telegram = createTelegramSink({ privateChats: "any" });
  const discord = createDiscordSink();
  const slack = createSlackSink();
  const mounts = sinkMounts(telegram, discord, slack);
  const sinkServer = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const path = new URL(req.url).pathname;
    return mounts.find((m) => path.startsWith(m.prefix))!.handler(req);
  });
  const sinkUrl = `http://127.0.0.1:${sinkServer.addr.port}`;

  const discordKey = await crypto.subtle.generateKey("Ed25519", true, [
    "sign",
    "verify",
  ]) as CryptoKeyPair;
  const webhookSecret = "bench_secret_" + "x".repeat(20);
  const discordApplicationId = "100000000000000099";
  const slackSigningSecret = "0123456789abcdef0123456789abcdef";
  const token = (id: string, email: string) =>
    devAccessToken(keys.signingKey, `${PLAIN_SUPABASE_URL}/auth/v1`, { id, email });
  const gatewayEnv = {
    SUPABASE_URL: PLAIN_SUPABASE_URL,
    SUPABASE_ANON_KEY: keys.anonKey,
    SUPABASE_SERVICE_ROLE_KEY: keys.serviceRoleKey,
    SUPABASE_JWKS: JSON.stringify(publicJwks(keys)),
    GATEWAY_SIGNING_KEY: JSON.stringify(keys.signingKey),
    // Tokens name the plain URL's issuer; the TLS gateways get another SUPABASE_URL.
    GATEWAY_JWT_ISSUER: `${PLAIN_SUPABASE_URL}/auth/v1`,
    TELEGRAM_BOT_TOKEN: "7000000002:BENCH_" + "y".repeat(30),
    TELEGRAM_WEBHOOK_SECRET: webhookSecret,
    TELEGRAM_BOT_USERNAME: "BenchBot",
    TELEGRAM_API_ROOT: `${sinkUrl}/__sinks/telegram`,
    DISCORD_PUBLIC_KEY: hex(await crypto.subtle.exportKey("raw", discordKey.publicKey)),
    DISCORD_APPLICATION_ID: discordApplicationId,
    DISCORD_API_BASE: `${sinkUrl}/__sinks/discord/api/v10`,
    // Slash commands are answered inline: no bot token needed, nothing posted to the sink.
    SLACK_SIGNING_SECRET: slackSigningSecret,
    SLACK_API_BASE: `${sinkUrl}${SLACK_SINK_PREFIX}/api`,
    GATEWAY_RATE_LIMIT_PER_MINUTE: "0",
    BENCH_REST_URL: rest.url,
    BENCH_QUIET: "1",
  };
  return {
    db,
    rest,
    keys,
    sinkUrl,
    aliceToken: await token(ALICE, "alice@example.com"),
    bobToken: await token(BOB, "bob@example.com"),
    webhookSecret,
    slackSigningSecret,
    discordKey,
    discordApplicationId,
    gatewayEnv,
    clearSinks() {
      telegram.sent.length = 0;
      discord.calls.length = 0;
      slack.reset();
    },
    async stop() {
      await sinkServer.shutdown();
      await rest.stop();
      await db.stop();
    },
  };
}

/**
 * `TELEGRAM_BOTS` with `count` bots (`bot-1` ... `bot-<count>`), each with its own token, secret
 * and username, all replying to the sink: issue 18's "one bot or fifty, the same cost".
 */
export function manyTelegramBots(count: number, apiRoot: string): string {
  return JSON.stringify(
    Array.from({ length: count }, (_, i) => ({
      name: `bot-${i + 1}`,
      token: `${7100000000 + i}:BENCH_${"z".repeat(30)}`,
      secret: botSecret(i + 1),
      username: `BenchBot${i + 1}`,
      apiRoot,
    })),
  );
}

/** The webhook secret of bot `bot-<n>` of {@link manyTelegramBots}. */
export const botSecret = (n: number) => `bench_secret_${n}_` + "x".repeat(20);
