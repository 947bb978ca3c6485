/**
 * Gateway configuration: read once from the environment, validated, merged with defaults. A
 * malformed variable stops start-up with a message naming it; a channel whose variables are
 * absent is switched off (its route answers 404 saying so).
 */
import type { SigningKey } from "./auth/signing_key.ts";
import { type DiscordApp, discordApps, type TelegramBot, telegramBots } from "./bots.ts";
import { type SlackApp, slackApps } from "./bots_slack.ts";
import { keyFromSet, keysOfSet, parseJwks, parseSigningKey } from "./config_keys.ts";
import {
  baseUrl,
  ConfigError,
  corsOrigins,
  displayName,
  integer,
  pageUrl,
  required,
} from "./config_values.ts";

export { ConfigError };
export type { DiscordApp, SlackApp, TelegramBot };

/** Everything the gateway needs, validated. */
export interface GatewayConfig {
  supabaseUrl: string;
  restUrl: string;
  /** Key sent as `apikey` with user requests (publishable key, else the legacy anon JWT). */
  anonKey: string;
  /** Key for the narrow service-role SQL functions (secret key, else the service_role JWT). */
  serviceKey: string;
  /**
   * Every service key the environment gives, `serviceKey` first: each entry of
   * `SUPABASE_SECRET_KEYS` and `SUPABASE_SERVICE_ROLE_KEY`. Buttons are signed with the first
   * and verify under any (a key rotation does not retire the buttons already sent); a server may
   * present any of them to `POST /notify`.
   */
  serviceKeys: readonly string[];
  /** Issuer expected in, and written into, access tokens. */
  issuer: string;
  /** Inline public keys (`SUPABASE_JWKS`); else (and for a kid they lack) fetched from `jwksUrl`. */
  jwks?: { keys: Record<string, unknown>[] };
  /** HS256 secrets from the `oct` members of `SUPABASE_JWKS` (raw bytes). */
  jwksHmacKeys: Uint8Array[];
  jwksUrl: string;
  /** Legacy HS256 secret (`GATEWAY_JWT_SECRET`). */
  jwtSecret?: string;
  /** Checked private key used to mint session tokens (`GATEWAY_SIGNING_KEY`). */
  signingKey?: SigningKey;
  tokenTtlSeconds: number;
  /** Requests per minute per caller (0: no limit). */
  rateLimitPerMinute: number;
  /** Allowed CORS origins; `["*"]` allows any. Empty: no CORS headers. */
  corsOrigins: string[];
  accessTokenHook?: string;
  /** The app's name, as end users know it (`GATEWAY_APP_NAME`). */
  appName?: string;
  /** Where users create a link code (`GATEWAY_LINK_URL`). */
  linkUrl?: string;
  /** Telegram bots, the default one (single-bot variables) first; empty: the channel is off. */
  telegramBots: readonly TelegramBot[];
  /** Discord applications, the default one first; empty: the channel is off. */
  discordApps: readonly DiscordApp[];
  /** Slack apps, the default one first; empty: the channel is off. */
  slackApps: readonly SlackApp[];
}

const DEFAULT_TOKEN_TTL_SECONDS = 120;
const DEFAULT_RATE_LIMIT_PER_MINUTE = 120;
/**
 * `supabase functions serve` sets `SUPABASE_URL` to Kong's address inside the Docker network,
 * while the local Auth issues tokens as the host-facing API URL (the CLI's `auth.jwt_issuer`,
 * default `api.external_url` + `/auth/v1`, with the default `api.port` 54321).
 */
const CLI_INTERNAL_URLS = ["http://kong:8000", "http://api.supabase.internal:8000"];
const CLI_DEFAULT_ISSUER = "http://127.0.0.1:54321/auth/v1";

type Env = Record<string, string | undefined>;

/** Builds a validated {@link GatewayConfig} from environment variables. */
export function loadConfig(env: Env = Deno.env.toObject()): GatewayConfig {
  const get = (name: string) => {
    const value = env[name]?.trim();
    return value ? value : undefined;
  };
  const supabaseUrl = baseUrl("SUPABASE_URL", required(get("SUPABASE_URL"), "SUPABASE_URL"));
  // The new keys first: the platform keeps injecting the legacy ones after a project disables
  // them (supabase/supabase#37648), and those then fail every call with 401.
  const anonKey = keyFromSet("SUPABASE_PUBLISHABLE_KEYS", get("SUPABASE_PUBLISHABLE_KEYS")) ??
    get("SUPABASE_ANON_KEY");
  if (!anonKey) {
    throw new ConfigError("SUPABASE_PUBLISHABLE_KEYS (or SUPABASE_ANON_KEY) is not set.");
  }
  const secretKeys = keysOfSet("SUPABASE_SECRET_KEYS", get("SUPABASE_SECRET_KEYS"));
  const legacyServiceKey = get("SUPABASE_SERVICE_ROLE_KEY");
  const serviceKeys = [
    ...new Set([...secretKeys, ...(legacyServiceKey ? [legacyServiceKey] : [])]),
  ];
  const serviceKey = serviceKeys[0];
  if (!serviceKey) {
    throw new ConfigError("SUPABASE_SECRET_KEYS (or SUPABASE_SERVICE_ROLE_KEY) is not set.");
  }
  const jwksText = get("SUPABASE_JWKS");
  const jwks = jwksText ? parseJwks(jwksText) : undefined;
  const signingKeyText = get("GATEWAY_SIGNING_KEY");
  const signingKey = signingKeyText ? parseSigningKey(signingKeyText) : undefined;
  const jwtSecret = get("GATEWAY_JWT_SECRET");
  if (jwtSecret !== undefined && jwtSecret.length < 32) {
    throw new ConfigError("GATEWAY_JWT_SECRET must be at least 32 characters long.");
  }
  const tokenTtlSeconds = integer(
    "GATEWAY_TOKEN_TTL_SECONDS",
    get("GATEWAY_TOKEN_TTL_SECONDS"),
    DEFAULT_TOKEN_TTL_SECONDS,
    { min: 60, max: 3600 },
  );
  const rateLimitPerMinute = integer(
    "GATEWAY_RATE_LIMIT_PER_MINUTE",
    get("GATEWAY_RATE_LIMIT_PER_MINUTE"),
    DEFAULT_RATE_LIMIT_PER_MINUTE,
    { min: 0, max: 1_000_000 },
  );
  const hook = get("GATEWAY_ACCESS_TOKEN_HOOK");
  // Called through PostgREST, which exposes the public schema only.
  if (hook !== undefined && !/^(public\.)?[a-z_][a-z0-9_]*$/.test(hook)) {
    throw new ConfigError(
      "GATEWAY_ACCESS_TOKEN_HOOK must name a function in the public schema, " +
        "like public.custom_access_token_hook.",
    );
  }
  const telegram = telegramBots(get);
  const discord = discordApps(get);
  const slack = slackApps(get);
  if ((telegram.length || discord.length || slack.length) && !signingKey && !jwtSecret) {
    throw new ConfigError(
      "GATEWAY_SIGNING_KEY or GATEWAY_JWT_SECRET must be set to mint sessions for chat users.",
    );
  }
  return {
    supabaseUrl,
    restUrl: `${supabaseUrl}/rest/v1`,
    anonKey,
    serviceKey,
    serviceKeys,
    issuer: get("GATEWAY_JWT_ISSUER") ??
      (CLI_INTERNAL_URLS.includes(supabaseUrl) ? CLI_DEFAULT_ISSUER : `${supabaseUrl}/auth/v1`),
    jwks: jwks?.keys.length ? { keys: jwks.keys } : undefined,
    jwksHmacKeys: jwks?.hmacKeys ?? [],
    jwksUrl: `${supabaseUrl}/auth/v1/.well-known/jwks.json`,
    jwtSecret,
    signingKey,
    tokenTtlSeconds,
    rateLimitPerMinute,
    corsOrigins: corsOrigins(get("GATEWAY_CORS_ORIGINS")),
    accessTokenHook: hook,
    appName: displayName("GATEWAY_APP_NAME", get("GATEWAY_APP_NAME")),
    linkUrl: pageUrl("GATEWAY_LINK_URL", get("GATEWAY_LINK_URL")),
    telegramBots: telegram,
    discordApps: discord,
    slackApps: slack,
  };
}
