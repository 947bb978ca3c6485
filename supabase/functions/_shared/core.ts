/**
 * The gateway's core, built once from the configuration: token verification, identity exchange,
 * the ledger, the per-user client factory and the command executor. Channel adapters receive this
 * and only translate requests and replies; nothing here knows about Telegram or Discord formats.
 */
import { type ActionCodec, createActionCodec } from "./action_tokens.ts";
import { type BotScope, type BotScopes, buttonScope, createBotScopes } from "./bot.ts";
import { checkBotCommands } from "./bots.ts";
import { checkSlackCommandNames } from "./bots_slack.ts";
import { createSessionMinter } from "./auth/mint.ts";
import { type AccessTokenVerifier, createAccessTokenVerifier } from "./auth/verify.ts";
import {
  type AnyCommand,
  createRegistry,
  type LinkingService,
  type LinkOutcome,
  type Registry,
} from "./command.ts";
import type { GatewayConfig } from "./config.ts";
import { createServiceRpc, type ServiceRpc, unwrap } from "./db.ts";
import { createUserClients, type UserClients } from "./user_clients.ts";
import { GatewayError } from "./errors.ts";
import { createExecutor, type Executor } from "./execute.ts";
import { createIdentityExchange, type IdentityExchange } from "./identity.ts";
import { createLedger, type Ledger } from "./ledger.ts";
import { createLogger, type Logger } from "./log.ts";
import { createPipeline, type Pipeline } from "./pipeline.ts";
import type { ChatAccount, Principal } from "./principal.ts";
import { createHttp1Fetch } from "./http1.ts";
import { createRateLimiter, type RateLimiter } from "./rate_limit.ts";

/** What the environment provides; every member is optional and defaults to the real thing. */
export interface GatewayDeps {
  /** The commands to serve. */
  commands: readonly AnyCommand[];
  /** Outgoing HTTP (default: {@link createHttp1Fetch}, which hands HTTPS to the global fetch). */
  fetch?: typeof fetch;
  now?: () => number;
  log?: Logger;
  /** Keeps background work alive after the response (Supabase: `EdgeRuntime.waitUntil`). */
  waitUntil?: (promise: Promise<unknown>) => void;
  sleep?: (ms: number) => Promise<void>;
  /** How long a command may run (default: `COMMAND_TIMEOUT_MS`, pipeline.ts). */
  commandTimeoutMs?: number;
}

/** Shared services; adapters hand deliveries to `pipeline` and use little else. */
export interface Core {
  /** Runs a delivery from any channel: see pipeline.ts. */
  pipeline: Pipeline;
  config: GatewayConfig;
  registry: Registry;
  executor: Executor;
  verifyAccessToken: AccessTokenVerifier;
  identities: IdentityExchange;
  ledger: Ledger;
  rpc: ServiceRpc;
  clients: UserClients;
  /**
   * Button tokens of a configured bot (encodes actions, verifies pressed ones), with the key
   * `buttonScope` (bot.ts) gives it: a token made for one bot does not verify on another. Built on
   * first use, then kept; throws for a bot that is not configured.
   */
  botActions(channel: BotScope["channel"], name: string): ActionCodec;
  /** Button tokens of a key scope (`telegram:<bot id>`...; no legacy tokens). Kept too. */
  actionsFor(scope: string): ActionCodec;
  /** Every configured bot's commands and words, by channel and name. */
  bots: BotScopes;
  /** Takes one request for a caller key (user id or chat account); throws 429 when over. */
  limit: RateLimiter;
  log: Logger;
  fetch: typeof fetch;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  /** How long a command may run; undefined: `COMMAND_TIMEOUT_MS` (pipeline.ts). */
  commandTimeoutMs?: number;
  /** Runs `promise` past the response; errors are logged, never thrown. */
  background(promise: Promise<unknown>): void;
  /** Resolves when background work started so far has settled (tests, shutdown). */
  drain(): Promise<void>;
  /** A Principal for a bearer token, or a 401. */
  principalForToken(token: string): Promise<Principal>;
  /** Linking operations for a chat account (and its principal, when linked). */
  linkingFor(account: ChatAccount, principal: Principal | null): LinkingService;
}

/** Builds the core; throws at start-up on a configuration it cannot serve. */
export function createCore(config: GatewayConfig, deps: GatewayDeps): Core {
  const fetchImpl = deps.fetch ?? createHttp1Fetch();
  const now = deps.now ?? Date.now;
  const log = deps.log ?? createLogger();
  const rpc = createServiceRpc(config, fetchImpl);
  const clients = createUserClients(config, fetchImpl, now);
  const registry = createRegistry(deps.commands);
  checkBotCommands("TELEGRAM_BOTS", "telegram", config.telegramBots, registry);
  checkBotCommands("DISCORD_APPS", "discord", config.discordApps, registry);
  checkBotCommands("SLACK_APPS", "slack", config.slackApps, registry);
  const bots = createBotScopes(config, registry);
  for (const app of config.slackApps) {
    checkSlackCommandNames(app, bots.get("slack", app.name)!.commands.map((c) => c.name));
  }
  const hook = config.accessTokenHook;
  const minter = config.signingKey || config.jwtSecret
    ? createSessionMinter({
      issuer: config.issuer,
      signingKey: config.signingKey,
      jwtSecret: config.jwtSecret,
      onKeyError: (err) => log.error(err.message),
      ttlSeconds: config.tokenTtlSeconds,
      now,
      customizeClaims: hook
        ? async (event) => {
          const out = await rpc<{ claims?: Record<string, unknown> }>(
            hook.replace(/^public\./, ""),
            { event },
          );
          if (!out?.claims) {
            throw new GatewayError(500, "internal", "The access token hook returned no claims.");
          }
          return out.claims;
        }
        : undefined,
    })
    : {
      mint: () =>
        Promise.reject(
          new GatewayError(503, "upstream_error", "Chat sessions are not configured."),
        ),
      forget() {},
    };
  const identities = createIdentityExchange({ rpc, minter, now });
  const verifyAccessToken = createAccessTokenVerifier({
    issuer: config.issuer,
    jwks: config.jwks,
    jwksUrl: config.jwksUrl,
    jwtSecret: config.jwtSecret,
    hmacKeys: config.jwksHmacKeys,
    fetch: fetchImpl,
    now,
  });
  const executor = createExecutor({
    registry,
    clients,
    log,
    links: bots.links,
  });
  const codecs = new Map<string, ActionCodec>();
  const codecFor = (scope: string, legacy: boolean) => {
    const key = `${legacy ? "legacy" : "current"}\n${scope}`;
    let codec = codecs.get(key);
    if (!codec) {
      codec = createActionCodec({ keys: config.serviceKeys, scope, legacy });
      codecs.set(key, codec);
    }
    return codec;
  };
  const pending = new Set<Promise<unknown>>();
  const runtime = (globalThis as { EdgeRuntime?: { waitUntil(p: Promise<unknown>): void } })
    .EdgeRuntime;

  const core: Omit<Core, "pipeline"> = {
    config,
    registry,
    executor,
    verifyAccessToken,
    identities,
    ledger: createLedger(rpc),
    botActions(channel, name) {
      const button = buttonScope(config, channel, name);
      if (!button) throw new Error(`No ${channel} bot is named '${name}'.`);
      return codecFor(button.scope, button.legacy);
    },
    actionsFor: (scope) => codecFor(scope, false),
    bots,
    rpc,
    clients,
    limit: createRateLimiter({ perMinute: config.rateLimitPerMinute, now }),
    log,
    fetch: fetchImpl,
    now,
    sleep: deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    commandTimeoutMs: deps.commandTimeoutMs,
    background(promise) {
      const tracked = promise.catch((err) =>
        log.error("background task failed", { error: err instanceof Error ? err.name : "unknown" })
      ).finally(() => pending.delete(tracked));
      pending.add(tracked);
      if (deps.waitUntil) deps.waitUntil(tracked);
      else runtime?.waitUntil(tracked);
    },
    async drain() {
      while (pending.size) await Promise.all([...pending]);
    },
    async principalForToken(token) {
      const claims = await verifyAccessToken(token);
      return {
        userId: claims.sub,
        token,
        expiresAt: claims.exp,
        claims,
        channel: "http",
      };
    },
    linkingFor(account, principal) {
      return {
        async link(code): Promise<LinkOutcome> {
          const out = await rpc<
            {
              ok: boolean;
              reason?: string;
              retry_after?: number;
              already_linked?: boolean;
              tries_left?: number;
            }
          >("consume_link_code", {
            p_provider: account.provider,
            p_external_id: account.externalId,
            p_code: code,
            p_username: account.username ?? null,
            p_display_name: account.displayName ?? null,
          });
          identities.forget(account);
          if (out.ok) return { ok: true, alreadyLinked: Boolean(out.already_linked) };
          return {
            ok: false,
            reason: out.reason as Exclude<LinkOutcome, { ok: true }>["reason"],
            retryAfterSeconds: out.retry_after,
            triesLeft: out.tries_left,
          };
        },
        async unlink() {
          if (!principal) return false;
          // Through the user's own client: RLS lets a user delete only their own link.
          const rows = unwrap(
            await clients.forToken(principal.token, principal.expiresAt)
              .from("chat_identities")
              .delete()
              .eq("provider", account.provider)
              .eq("external_id", account.externalId)
              .select("id"),
            "unlink",
          ) as unknown[];
          identities.forget(account);
          return rows.length > 0;
        },
      };
    },
  };
  return Object.assign(core, { pipeline: createPipeline(core) });
}
