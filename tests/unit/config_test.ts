/** Configuration: defaults, channel switches and one clear message per bad variable. */
import { assert, assertEquals, assertRejects } from "../assert.ts";
import { ConfigError, loadConfig } from "../../supabase/functions/_shared/config.ts";

const BASE = {
  SUPABASE_URL: "https://abc.supabase.co/",
  SUPABASE_ANON_KEY: "anon",
  SUPABASE_SERVICE_ROLE_KEY: "service",
};
const TELEGRAM = {
  TELEGRAM_BOT_TOKEN: "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ_abc",
  TELEGRAM_WEBHOOK_SECRET: "s".repeat(32),
  TELEGRAM_BOT_USERNAME: "@MyBot",
  GATEWAY_JWT_SECRET: "j".repeat(40),
};

Deno.test("config: defaults and derived URLs", () => {
  const config = loadConfig(BASE);
  assertEquals(config.supabaseUrl, "https://abc.supabase.co");
  assertEquals(config.restUrl, "https://abc.supabase.co/rest/v1");
  assertEquals(config.issuer, "https://abc.supabase.co/auth/v1");
  assertEquals(config.jwksUrl, "https://abc.supabase.co/auth/v1/.well-known/jwks.json");
  assertEquals(config.tokenTtlSeconds, 120);
  assertEquals(config.telegram, undefined);
  assertEquals(config.discord, undefined);
  assertEquals(config.corsOrigins, []);
});

Deno.test("config: channels switch on with their variables", () => {
  const config = loadConfig({
    ...BASE,
    ...TELEGRAM,
    DISCORD_PUBLIC_KEY: "AB".repeat(32),
    DISCORD_APPLICATION_ID: "123456789012345678",
  });
  assertEquals(config.telegram?.botId, 123456);
  assertEquals(config.telegram?.botUsername, "MyBot");
  assertEquals(config.telegram?.apiRoot, "https://api.telegram.org");
  assertEquals(config.discord?.publicKey, "ab".repeat(32));
  assertEquals(config.discord?.apiBase, "https://discord.com/api/v10");
});

Deno.test("config: new-style key sets are read", () => {
  const config = loadConfig({
    SUPABASE_URL: "https://abc.supabase.co",
    SUPABASE_PUBLISHABLE_KEYS: '{"default":"sb_publishable_x"}',
    SUPABASE_SECRET_KEYS: '{"default":"sb_secret_y"}',
  });
  assertEquals(config.anonKey, "sb_publishable_x");
  assertEquals(config.serviceKey, "sb_secret_y");
});

Deno.test("config: each bad variable stops start-up naming it", async (t) => {
  const cases: [string, Record<string, string>, string][] = [
    ["missing URL", { ...BASE, SUPABASE_URL: "" }, "SUPABASE_URL"],
    ["URL not a URL", { ...BASE, SUPABASE_URL: "abc" }, "SUPABASE_URL"],
    ["missing anon key", { ...BASE, SUPABASE_ANON_KEY: "" }, "SUPABASE_ANON_KEY"],
    [
      "missing service key",
      { ...BASE, SUPABASE_SERVICE_ROLE_KEY: "" },
      "SUPABASE_SERVICE_ROLE_KEY",
    ],
    ["JWKS not JSON", { ...BASE, SUPABASE_JWKS: "{" }, "SUPABASE_JWKS"],
    [
      "JWKS with a private key",
      { ...BASE, SUPABASE_JWKS: '{"keys":[{"kty":"EC","d":"x"}]}' },
      "SUPABASE_JWKS",
    ],
    ["short HS256 secret", { ...BASE, GATEWAY_JWT_SECRET: "short" }, "GATEWAY_JWT_SECRET"],
    [
      "signing key without d",
      { ...BASE, GATEWAY_SIGNING_KEY: '{"kty":"EC","kid":"k"}' },
      "GATEWAY_SIGNING_KEY",
    ],
    ["TTL out of range", { ...BASE, GATEWAY_TOKEN_TTL_SECONDS: "5" }, "GATEWAY_TOKEN_TTL_SECONDS"],
    [
      "CORS entry with a path",
      { ...BASE, GATEWAY_CORS_ORIGINS: "https://a.com/x" },
      "GATEWAY_CORS_ORIGINS",
    ],
    [
      "hook outside the public schema",
      { ...BASE, GATEWAY_ACCESS_TOKEN_HOOK: "auth.hook" },
      "GATEWAY_ACCESS_TOKEN_HOOK",
    ],
    [
      "malformed bot token",
      { ...BASE, ...TELEGRAM, TELEGRAM_BOT_TOKEN: "nope" },
      "TELEGRAM_BOT_TOKEN",
    ],
    [
      "bot token without secret",
      { ...BASE, ...TELEGRAM, TELEGRAM_WEBHOOK_SECRET: "" },
      "TELEGRAM_WEBHOOK_SECRET",
    ],
    [
      "weak webhook secret",
      { ...BASE, ...TELEGRAM, TELEGRAM_WEBHOOK_SECRET: "abc" },
      "TELEGRAM_WEBHOOK_SECRET",
    ],
    [
      "API root with trailing query",
      { ...BASE, ...TELEGRAM, TELEGRAM_API_ROOT: "http://x/?a=1" },
      "TELEGRAM_API_ROOT",
    ],
    ["bad Discord key", { ...BASE, DISCORD_PUBLIC_KEY: "xyz" }, "DISCORD_PUBLIC_KEY"],
    ["Discord key without app id", {
      ...BASE,
      DISCORD_PUBLIC_KEY: "ab".repeat(32),
      GATEWAY_JWT_SECRET: "j".repeat(40),
    }, "DISCORD_APPLICATION_ID"],
    [
      "chat channel without a way to mint",
      { ...BASE, ...TELEGRAM, GATEWAY_JWT_SECRET: "" },
      "GATEWAY_SIGNING_KEY",
    ],
  ];
  for (const [name, env, variable] of cases) {
    await t.step(name, async () => {
      const err = await assertRejects(() => loadConfig(env), (e) => e instanceof ConfigError);
      assert((err as Error).message.includes(variable), (err as Error).message);
      for (const value of Object.values(env)) {
        if (value.length > 20) assert(!(err as Error).message.includes(value), "secret in message");
      }
    });
  }
});
