/** Configuration: defaults, channel switches and one clear message per bad variable. */
import { assert, assertEquals, assertRejects } from "../assert.ts";
import { ConfigError, loadConfig } from "../../supabase/functions/_shared/config.ts";
import { cliSigningKey, octJwk, randomSecret } from "../auth_fixtures.ts";

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
  assertEquals(config.telegramBots, []);
  assertEquals(config.discordApps, []);
  assertEquals(config.corsOrigins, []);
});

Deno.test("config: channels switch on with their variables", () => {
  const config = loadConfig({
    ...BASE,
    ...TELEGRAM,
    DISCORD_PUBLIC_KEY: "AB".repeat(32),
    DISCORD_APPLICATION_ID: "123456789012345678",
  });
  const [telegram] = config.telegramBots;
  assertEquals(telegram.name, "default");
  assertEquals(telegram.botId, 123456);
  assertEquals(telegram.username, "MyBot");
  assertEquals(telegram.apiRoot, "https://api.telegram.org");
  const [discord] = config.discordApps;
  assertEquals(discord.name, "default");
  assertEquals(discord.publicKey, "ab".repeat(32));
  assertEquals(discord.apiBase, "https://discord.com/api/v10");
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

Deno.test("config: the new keys win over the legacy ones the platform keeps injecting", () => {
  // After a project disables legacy keys the platform still sets SUPABASE_ANON_KEY and
  // SUPABASE_SERVICE_ROLE_KEY (supabase/supabase#37648); only the new keys work then.
  const config = loadConfig({
    ...BASE,
    SUPABASE_PUBLISHABLE_KEYS: '{"web":"sb_publishable_w","default":"sb_publishable_x"}',
    SUPABASE_SECRET_KEYS: '{"default":"sb_secret_y"}',
  });
  assertEquals(config.anonKey, "sb_publishable_x");
  assertEquals(config.serviceKey, "sb_secret_y");
  const legacyOnly = loadConfig(BASE);
  assertEquals([legacyOnly.anonKey, legacyOnly.serviceKey], ["anon", "service"]);
  const named = loadConfig({ ...BASE, SUPABASE_SECRET_KEYS: '{"cron":"sb_secret_c"}' });
  assertEquals(named.serviceKey, "sb_secret_c");
});

Deno.test("config: every service key verifies buttons, the current one first", () => {
  // During a rotation the platform's SUPABASE_SECRET_KEYS holds the old key and the new one.
  const rotating = loadConfig({
    ...BASE,
    SUPABASE_SECRET_KEYS: '{"old":"sb_secret_o","default":"sb_secret_n","cron":"sb_secret_n"}',
  });
  assertEquals(rotating.serviceKey, "sb_secret_n");
  assertEquals(rotating.serviceKeys, ["sb_secret_n", "sb_secret_o", "service"]);
  assertEquals(loadConfig(BASE).serviceKeys, ["service"]);
  const bare = loadConfig({ ...BASE, SUPABASE_SECRET_KEYS: "service" });
  assertEquals(bare.serviceKeys, ["service"]);
});

Deno.test("config: SUPABASE_JWKS as the CLI injects it, and as a bare array", async () => {
  const { publicJwk } = await cliSigningKey("ES256");
  const secret = randomSecret();
  const config = loadConfig({
    ...BASE,
    SUPABASE_JWKS: JSON.stringify({ keys: [publicJwk, octJwk(secret)] }),
  });
  assertEquals(config.jwks, { keys: [publicJwk] });
  assertEquals(config.jwksHmacKeys, [new TextEncoder().encode(secret)]);
  const bare = loadConfig({ ...BASE, SUPABASE_JWKS: JSON.stringify([publicJwk]) });
  assertEquals(bare.jwks, { keys: [publicJwk] });
  assertEquals(bare.jwksHmacKeys, []);
  const secretOnly = loadConfig({ ...BASE, SUPABASE_JWKS: JSON.stringify([octJwk(secret)]) });
  assertEquals(secretOnly.jwks, undefined); // the public keys then come from the JWKS URL
});

Deno.test("config: under `supabase functions serve` the issuer is the CLI's", () => {
  const cli = { ...BASE, SUPABASE_URL: "http://kong:8000" };
  assertEquals(loadConfig(cli).issuer, "http://127.0.0.1:54321/auth/v1");
  assertEquals(loadConfig(cli).jwksUrl, "http://kong:8000/auth/v1/.well-known/jwks.json");
  const custom = loadConfig({ ...cli, GATEWAY_JWT_ISSUER: "http://localhost:6543/auth/v1" });
  assertEquals(custom.issuer, "http://localhost:6543/auth/v1");
});

Deno.test("config: signing keys as `supabase gen signing-key` writes them", async (t) => {
  for (const alg of ["ES256", "RS256"] as const) {
    await t.step(alg, async () => {
      const { privateJwk, kid } = await cliSigningKey(alg);
      const variants = [
        privateJwk,
        [privateJwk], // signing_keys.json holds an array
        [privateJwk, (await cliSigningKey("ES256")).privateJwk], // made with --append: the first
        Object.fromEntries(
          Object.entries(privateJwk).filter(([k]) => !["key_ops", "use", "alg", "ext"].includes(k)),
        ),
      ];
      for (const jwk of variants) {
        const config = loadConfig({ ...BASE, GATEWAY_SIGNING_KEY: JSON.stringify(jwk) });
        assertEquals(config.signingKey?.kid, kid);
      }
    });
  }
});

Deno.test("config: each unusable signing key stops start-up naming GATEWAY_SIGNING_KEY", async (t) => {
  const { privateJwk: ec, publicJwk } = await cliSigningKey("ES256");
  const { privateJwk: rsa } = await cliSigningKey("RS256");
  const p384 = await crypto.subtle.exportKey(
    "jwk",
    (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-384" }, true, ["sign"]))
      .privateKey,
  );
  const small = await crypto.subtle.exportKey(
    "jwk",
    (await crypto.subtle.generateKey(
      {
        name: "RSASSA-PKCS1-v1_5",
        modulusLength: 1024,
        publicExponent: new Uint8Array([1, 0, 1]),
        hash: "SHA-256",
      },
      true,
      ["sign"],
    )).privateKey,
  );
  const { dp: _dp, ...rsaNoCrt } = rsa;
  const cases: [string, unknown][] = [
    ["not JSON", "{"],
    ["the public key only", publicJwk],
    ["missing d", { ...ec, d: undefined }],
    ["missing kid", { ...ec, kid: undefined }],
    ["wrong curve (P-384)", { ...p384, kid: "k" }],
    ["EC key claiming RS256", { ...ec, alg: "RS256" }],
    ["an encryption key", { ...ec, use: "enc" }],
    ["d not base64url", { ...ec, d: "%%%" }],
    ["x too long", { ...ec, x: ec.y + "AAAA" }],
    ["RSA under 2048 bits", { ...small, kid: "k" }],
    ["RSA without CRT parameters", rsaNoCrt],
    ["an oct key", { kty: "oct", k: "abc", kid: "k", d: "x" }],
    ["an empty array", []],
  ];
  for (const [name, jwk] of cases) {
    await t.step(name, () => {
      const text = typeof jwk === "string" ? jwk : JSON.stringify(jwk);
      let error: unknown;
      try {
        loadConfig({ ...BASE, GATEWAY_SIGNING_KEY: text });
      } catch (err) {
        error = err;
      }
      assert(error instanceof ConfigError, `not refused: ${name}`);
      const message = (error as Error).message;
      assert(message.startsWith("GATEWAY_SIGNING_KEY"), message);
      assert(!message.includes("\n"), "one line");
      assert(!message.includes(String(ec.d)), "key material in the message");
    });
  }
});

Deno.test("config: each bad variable stops start-up naming it", async (t) => {
  const cases: [string, Record<string, string>, string][] = [
    ["missing URL", { ...BASE, SUPABASE_URL: "" }, "SUPABASE_URL"],
    ["URL not a URL", { ...BASE, SUPABASE_URL: "abc" }, "SUPABASE_URL"],
    ["missing anon key", { ...BASE, SUPABASE_ANON_KEY: "" }, "SUPABASE_ANON_KEY"],
    [
      "key set not JSON",
      { ...BASE, SUPABASE_PUBLISHABLE_KEYS: '{"default":' },
      "SUPABASE_PUBLISHABLE_KEYS",
    ],
    [
      "key set of non-strings",
      { ...BASE, SUPABASE_SECRET_KEYS: '{"default":1}' },
      "SUPABASE_SECRET_KEYS",
    ],
    [
      "secret key set with a non-string besides the default",
      { ...BASE, SUPABASE_SECRET_KEYS: '{"default":"sb_secret_y","old":null}' },
      "SUPABASE_SECRET_KEYS",
    ],
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
    ["JWKS oct key without k", { ...BASE, SUPABASE_JWKS: '[{"kty":"oct"}]' }, "SUPABASE_JWKS"],
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
    [
      "API root in plain http to another machine (the bot token is in every call's path)",
      { ...BASE, ...TELEGRAM, TELEGRAM_API_ROOT: "http://telegram.example" },
      "TELEGRAM_API_ROOT",
    ],
    [
      "Discord API base in plain http to another machine",
      {
        ...BASE,
        DISCORD_PUBLIC_KEY: "ab".repeat(32),
        DISCORD_APPLICATION_ID: "300000000000000003",
        DISCORD_API_BASE: "http://discord.example/api/v10",
        GATEWAY_JWT_SECRET: "j".repeat(40),
      },
      "DISCORD_API_BASE",
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

Deno.test("config: GATEWAY_APP_NAME and GATEWAY_LINK_URL, checked like the others", () => {
  const config = loadConfig({
    ...BASE,
    GATEWAY_APP_NAME: "Acme Tasks",
    GATEWAY_LINK_URL: "https://acme.example/settings/chat?tab=link",
  });
  assertEquals(config.appName, "Acme Tasks");
  assertEquals(config.linkUrl, "https://acme.example/settings/chat?tab=link");
  const bad: [string, string, RegExp][] = [
    ["GATEWAY_APP_NAME", "x".repeat(61), /^GATEWAY_APP_NAME must be 1-60 characters/],
    ["GATEWAY_APP_NAME", "Acme <b>", /^GATEWAY_APP_NAME must be 1-60 characters/],
    ["GATEWAY_APP_NAME", "line\nbreak", /^GATEWAY_APP_NAME/],
    ["GATEWAY_APP_NAME", "\u200b\u200b", /^GATEWAY_APP_NAME must be 1-60 characters/],
    ["GATEWAY_APP_NAME", "\u00a0\u200b", /^GATEWAY_APP_NAME must be 1-60 characters/],
    ["GATEWAY_LINK_URL", "acme.example/link", /^GATEWAY_LINK_URL is not a URL/],
    ["GATEWAY_LINK_URL", "javascript:alert(1)", /^GATEWAY_LINK_URL must be an http\(s\) URL/],
  ];
  for (const [name, value, message] of bad) {
    let error: unknown;
    try {
      loadConfig({ ...BASE, [name]: value });
    } catch (err) {
      error = err;
    }
    assert(error instanceof ConfigError, `${name}=${value} accepted`);
    assert(message.test(error.message), error.message);
  }
});
