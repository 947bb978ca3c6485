/**
 * The whole local stack in one call: dev keys, PostgreSQL (platform SQL, migrations, seed),
 * PostgREST, the Telegram, Discord and Slack sinks, the gateway, and the front door that puts them
 * behind Supabase's paths, with the chat accounts page at `/` (dev/web/page.ts). Every setting
 * comes from the environment when set, else from local defaults (ports 54321-54323, generated
 * local-only keys and channel secrets). One stack per state folder: a second start on a folder in
 * use refuses (see `stack_lock.ts`), and the front door's port is checked before PostgreSQL
 * starts.
 */
import { createGateway, type Gateway } from "../supabase/functions/gateway/gateway.ts";
import { loadConfig } from "../supabase/functions/_shared/config.ts";
import { createLogger, type Logger } from "../supabase/functions/_shared/log.ts";
import { type FrontDoor, serveFrontDoor } from "./front_door.ts";
import { type DevKeys, loadOrCreateDevKeys, postgrestJwks, publicJwks } from "./keys.ts";
import { assertPortFree, STACK_PORT_ENV, type StackPorts } from "./ports.ts";
import { type LocalPostgres, startPostgres } from "./postgres.ts";
import { type LocalPostgrest, startPostgrest } from "./postgrest.ts";
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
} from "./sinks/mod.ts";
import {
  type ChannelSecrets,
  extraBotsEnv,
  loadOrCreateChannelSecrets,
  LOCAL_SLACK_BOTS,
  LOCAL_SLACK_TEAM,
} from "./channel_secrets.ts";
import { directRestFetch } from "./direct_rest.ts";
import { gatewayEnvironment } from "./gateway_env.ts";
import { acquireStackLock } from "./stack_lock.ts";
import { localWebPage } from "./web/page.ts";

/** Options of {@link startStack}. */
export interface StackOptions {
  stateDir: string;
  ports: StackPorts;
  reset?: boolean;
  env?: Record<string, string | undefined>;
  log?: (line: string) => void;
  /** Where the gateway's request log lines go (default: stdout). */
  gatewayLog?: Logger;
  /** Wraps the gateway's outgoing fetch (to PostgREST and the sinks), e.g. to record it. */
  wrapFetch?: (fetch: typeof globalThis.fetch) => typeof globalThis.fetch;
  /**
   * How often the stack drains the notification outbox on its own timer, in milliseconds (what
   * pg_cron and pg_net do on hosted Supabase, neither of which runs here); 0: never (the test
   * suite, whose tests drain their own gateways). Default {@link DRAIN_EVERY_MS}.
   */
  drainEveryMs?: number;
}

/** The local stack's notification drain interval: every second (the contract: at least every 2 s). */
export const DRAIN_EVERY_MS = 1_000;

/** A running stack. */
export interface Stack {
  url: string;
  /** The environment the gateway was configured from (what a deployed function would get). */
  gatewayEnv: Record<string, string>;
  keys: DevKeys;
  db: LocalPostgres;
  rest: LocalPostgrest;
  gateway: Gateway;
  telegram: TelegramSink;
  discord: DiscordSink;
  slack: SlackSink;
  stop(): Promise<void>;
}

/** Starts everything; on failure, stops what was started and rethrows. */
export async function startStack(options: StackOptions): Promise<Stack> {
  const log = options.log ?? (() => {});
  const env = options.env ?? Deno.env.toObject();
  const cleanups: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of cleanups.reverse()) await stop().catch(() => {});
    cleanups.length = 0;
  };
  try {
    const url = `http://127.0.0.1:${options.ports.front}`;
    const lock = await acquireStackLock(options.stateDir, { url, ports: options.ports });
    cleanups.push(() => lock.release());
    // Before PostgreSQL starts: a busy front door would otherwise fail only after everything else.
    assertPortFree(options.ports.front, STACK_PORT_ENV.front);
    const keys = await loadOrCreateDevKeys(options.stateDir);
    const db = await startPostgres({
      stateDir: options.stateDir,
      port: options.ports.db,
      reset: options.reset,
      log,
    });
    cleanups.push(() => db.stop());
    const rest = await startPostgrest({
      port: options.ports.rest,
      dbUrl: db.authenticatorUrl,
      jwks: postgrestJwks(keys),
      stateDir: options.stateDir,
      log,
    });
    cleanups.push(() => rest.stop());

    const secrets = await loadOrCreateChannelSecrets(options.stateDir);
    const apis = {
      telegramApiRoot: `${url}${TELEGRAM_SINK_PREFIX}`,
      discordApiBase: `${url}${DISCORD_SINK_PREFIX}/api/v10`,
      slackApiBase: `${url}${SLACK_SINK_PREFIX}/api`,
    };
    const gatewayEnv = gatewayEnvironment(env, {
      SUPABASE_URL: url,
      SUPABASE_ANON_KEY: keys.anonKey,
      SUPABASE_SERVICE_ROLE_KEY: keys.serviceRoleKey,
      GATEWAY_SIGNING_KEY: JSON.stringify(keys.signingKey),
      GATEWAY_JWT_SECRET: keys.jwtSecret,
      GATEWAY_CORS_ORIGINS: [3000, 5173, 8080]
        .flatMap((port) => [`http://localhost:${port}`, `http://127.0.0.1:${port}`]).join(","),
      TELEGRAM_BOT_TOKEN: secrets.telegramBotToken,
      TELEGRAM_WEBHOOK_SECRET: secrets.telegramWebhookSecret,
      TELEGRAM_BOT_USERNAME: "LocalGatewayBot",
      TELEGRAM_API_ROOT: apis.telegramApiRoot,
      DISCORD_PUBLIC_KEY: secrets.discordPublicKey,
      DISCORD_APPLICATION_ID: secrets.discordApplicationId,
      DISCORD_BOT_TOKEN: secrets.discordBotToken,
      DISCORD_API_BASE: apis.discordApiBase,
      SLACK_SIGNING_SECRET: secrets.slackSigningSecret,
      SLACK_BOT_TOKEN: secrets.slackBotToken,
      SLACK_API_BASE: apis.slackApiBase,
      ...extraBotsEnv(secrets, apis),
    });
    const direct = directRestFetch(url, rest.url);
    const config = loadConfig(gatewayEnv);
    const gateway = createGateway(config, {
      fetch: options.wrapFetch ? options.wrapFetch(direct) : direct,
      log: options.gatewayLog ?? createLogger(),
    });
    cleanups.push(() => gateway.core.drain());
    // Updates reach this stack from the simulator, fuzz runs and curl, not through the sink: it
    // cannot learn who started the bot, so every private chat takes messages.
    const telegram = createTelegramSink({ privateChats: "any" });
    const discord = createDiscordSink();
    // The sink knows every configured application as Discord would, with the private keys of the
    // local ones so that it verifies an interactions endpoint URL by signed PINGs, as Discord does.
    const privateKeys = new Map([
      [secrets.discordPublicKey, secrets.discordPrivateKey],
      ...secrets.bots.discord.map((a) => [a.publicKey, a.privateKey] as [string, string]),
    ]);
    for (const app of config.discordApps) {
      if (!app.botToken) continue;
      discord.registerApplication({
        applicationId: app.applicationId,
        botToken: app.botToken,
        publicKey: app.publicKey,
        privateKey: privateKeys.get(app.publicKey),
        name: app.appName ?? "Local Gateway App",
      });
    }
    const slack = localSlackSink(secrets);
    // The chat accounts page at `/`, with local-only sign-in for the demo users.
    const page = localWebPage({ url, keys, psql: (sql) => db.psql(sql) });
    const front: FrontDoor = serveFrontDoor({
      port: options.ports.front,
      restUrl: rest.url,
      publicJwks: publicJwks(keys),
      home: page.home,
      mounts: [
        { prefix: "/functions/v1/gateway", handler: gateway },
        ...sinkMounts(telegram, discord, slack),
        ...page.mounts,
      ],
    });
    cleanups.push(() => front.shutdown());
    const drainEveryMs = options.drainEveryMs ?? DRAIN_EVERY_MS;
    if (drainEveryMs > 0) cleanups.push(drainOnTimer(gateway, drainEveryMs, log));
    return { url, gatewayEnv, keys, db, rest, gateway, telegram, discord, slack, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/**
 * Drains the gateway's notification outbox every `ms` (a drain still running is not started
 * twice); says what it sent when it sent something. Returns the stop function.
 */
function drainOnTimer(
  gateway: Gateway,
  ms: number,
  log: (line: string) => void,
): () => Promise<void> {
  let running: Promise<void> | undefined;
  let failing = false;
  const timer = setInterval(() => {
    running ??= gateway.notifications.drain().then(
      (d) => {
        failing = false;
        if (d.claimed) {
          log(
            `notifications: ${d.sent} sent, ${d.retried} to retry, ${d.failed} refused, ` +
              `${d.dead} dead, ${d.skipped} skipped (${d.ms} ms)`,
          );
        }
      },
      (err) => {
        if (!failing) log(`notifications: drain failed (${(err as Error)?.message ?? err})`);
        failing = true;
      },
    ).finally(() => (running = undefined));
  }, ms);
  return async () => {
    clearInterval(timer);
    await running;
  };
}

/**
 * A Slack sink that knows the local apps' bot tokens (the local workspace's bots), so the Web API
 * answers them and refuses any other token.
 */
export function localSlackSink(secrets: ChannelSecrets): SlackSink {
  const slack = createSlackSink();
  const bots = [{ name: "default", botToken: secrets.slackBotToken }, ...secrets.bots.slack];
  for (const bot of bots) {
    const ids = LOCAL_SLACK_BOTS[bot.name] ?? { userId: "U0LOCALBOT9", botId: "B0LOCAL9" };
    slack.addBot(bot.botToken, { team: LOCAL_SLACK_TEAM, ...ids });
  }
  return slack;
}
