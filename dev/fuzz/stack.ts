/**
 * The fuzz run's own local stack: PostgreSQL, PostgREST, the Telegram and Discord sinks and the
 * gateway behind a front door, on free loopback ports, in its own state folder under `.local`.
 * It is `dev/stack.ts`'s recipe with two fuzz settings that `startStack` does not pass through:
 * the rate limit is off (GATEWAY_RATE_LIMIT_PER_MINUTE=0: thousands of cases from one linked
 * account would otherwise mostly be 429s and never reach the command layer), and every gateway
 * log line is kept for the secret check. Setup links one Telegram and one Discord account, each
 * to its own fresh user, through the real path (link-code over HTTPS, then /link on the channel).
 */
import { createGateway, type Gateway } from "../../supabase/functions/gateway/gateway.ts";
import { loadConfig } from "../../supabase/functions/_shared/config.ts";
import { createLogger } from "../../supabase/functions/_shared/log.ts";
import { serveFrontDoor } from "../front_door.ts";
import { type DevKeys, loadOrCreateDevKeys, postgrestJwks, publicJwks } from "../keys.ts";
import { freePort } from "../ports.ts";
import { type LocalPostgres, startPostgres } from "../postgres.ts";
import { startPostgrest } from "../postgrest.ts";
import {
  createDiscordSink,
  createTelegramSink,
  DISCORD_SINK_PREFIX,
  type DiscordSink,
  sinkMounts,
  TELEGRAM_SINK_PREFIX,
  type TelegramSink,
} from "../sinks/mod.ts";
import { type ChannelSecrets, loadOrCreateChannelSecrets } from "../channel_secrets.ts";
import { directRestFetch } from "../direct_rest.ts";
import { BOT_USERNAME, DISCORD_APP_ID } from "./generate.ts";

/** Fresh users the linked chat accounts act as (HTTPS cases act as the seeded alice and bob). */
export const FUZZ_USERS = {
  telegram: "f0220000-0000-4000-8000-000000000001",
  discord: "f0220000-0000-4000-8000-000000000002",
} as const;

/** A running fuzz stack. */
export interface FuzzStack {
  /** Base URL of the gateway, `…/functions/v1/gateway`. */
  gatewayUrl: string;
  keys: DevKeys;
  secrets: ChannelSecrets;
  gatewayEnv: Record<string, string>;
  db: LocalPostgres;
  gateway: Gateway;
  telegram: TelegramSink;
  discord: DiscordSink;
  /** Every line the gateway logged, in order. */
  logs: string[];
  /** Access tokens the gateway sent to PostgREST so far (users' own and minted sessions). */
  sessionTokens: Set<string>;
  stop(): Promise<void>;
}

/** Starts the stack in `stateDir` (wiped first). */
export async function startFuzzStack(stateDir: string): Promise<FuzzStack> {
  const cleanups: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const step of cleanups.reverse()) await step().catch(() => {});
    cleanups.length = 0;
  };
  try {
    const keys = await loadOrCreateDevKeys(stateDir);
    const db = await startPostgres({ stateDir, port: freePort(), reset: true });
    cleanups.push(() => db.stop());
    const rest = await startPostgrest({
      port: freePort(),
      dbUrl: db.authenticatorUrl,
      jwks: postgrestJwks(keys),
      stateDir,
    });
    cleanups.push(() => rest.stop());
    const port = freePort();
    const url = `http://127.0.0.1:${port}`;
    const secrets = await loadOrCreateChannelSecrets(stateDir);
    const gatewayEnv: Record<string, string> = {
      SUPABASE_URL: url,
      SUPABASE_ANON_KEY: keys.anonKey,
      SUPABASE_SERVICE_ROLE_KEY: keys.serviceRoleKey,
      GATEWAY_SIGNING_KEY: JSON.stringify(keys.signingKey),
      GATEWAY_JWT_SECRET: keys.jwtSecret,
      GATEWAY_RATE_LIMIT_PER_MINUTE: "0",
      TELEGRAM_BOT_TOKEN: secrets.telegramBotToken,
      TELEGRAM_WEBHOOK_SECRET: secrets.telegramWebhookSecret,
      TELEGRAM_BOT_USERNAME: BOT_USERNAME,
      TELEGRAM_API_ROOT: `${url}${TELEGRAM_SINK_PREFIX}`,
      DISCORD_PUBLIC_KEY: secrets.discordPublicKey,
      DISCORD_APPLICATION_ID: DISCORD_APP_ID,
      DISCORD_BOT_TOKEN: secrets.discordBotToken,
      DISCORD_API_BASE: `${url}${DISCORD_SINK_PREFIX}/api/v10`,
    };
    const logs: string[] = [];
    const sessionTokens = new Set<string>();
    const direct = directRestFetch(url, rest.url);
    // Remember every bearer the gateway shows PostgREST (minted chat sessions among them).
    const recording: typeof fetch = (input, init) => {
      const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : {}));
      const bearer = /^Bearer (.+)$/.exec(headers.get("authorization") ?? "")?.[1];
      if (bearer && bearer !== keys.serviceRoleKey) sessionTokens.add(bearer);
      return direct(input, init);
    };
    const gateway = createGateway(loadConfig(gatewayEnv), {
      fetch: recording,
      log: createLogger((line) => logs.push(line)),
    });
    cleanups.push(() => gateway.core.drain());
    const telegram = createTelegramSink();
    const discord = createDiscordSink();
    const front = serveFrontDoor({
      port,
      restUrl: rest.url,
      publicJwks: publicJwks(keys),
      mounts: [
        { prefix: "/functions/v1/gateway", handler: gateway },
        ...sinkMounts(telegram, discord),
      ],
    });
    cleanups.push(() => front.shutdown());
    await db.psql(
      `insert into auth.users (id, email, raw_app_meta_data, raw_user_meta_data) values
       ('${FUZZ_USERS.telegram}', 'fuzz-telegram@example.test', '{"provider":"email"}', '{}'),
       ('${FUZZ_USERS.discord}', 'fuzz-discord@example.test', '{"provider":"email"}', '{}')`,
    );
    const gatewayUrl = `${url}/functions/v1/gateway`;
    return {
      gatewayUrl,
      keys,
      secrets,
      gatewayEnv,
      db,
      gateway,
      telegram,
      discord,
      logs,
      sessionTokens,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
