/**
 * The bot registry's configuration (`TELEGRAM_BOTS`, `DISCORD_APPS` beside the single-bot
 * variables): what a good entry becomes, and that each kind of mistake stops start-up with one
 * line naming the variable, the entry and the field, never a secret.
 */
import { assert, assertEquals, assertThrows } from "../assert.ts";
import { loadConfig } from "../../supabase/functions/_shared/config.ts";
import { ConfigError } from "../../supabase/functions/_shared/config_values.ts";
import { createGateway } from "../../supabase/functions/gateway/gateway.ts";

const BASE = {
  SUPABASE_URL: "https://abc.supabase.co",
  SUPABASE_ANON_KEY: "anon",
  SUPABASE_SERVICE_ROLE_KEY: "service",
  GATEWAY_JWT_SECRET: "j".repeat(40),
};
const TOKEN_A = "111111:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
const TOKEN_B = "222222:BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";
const SECRET_A = "secret_a_" + "a".repeat(24);
const SECRET_B = "secret_b_" + "b".repeat(24);
const DEFAULT_TELEGRAM = {
  TELEGRAM_BOT_TOKEN: TOKEN_A,
  TELEGRAM_WEBHOOK_SECRET: SECRET_A,
  TELEGRAM_BOT_USERNAME: "ProdBot",
};
const staging = { name: "staging", token: TOKEN_B, secret: SECRET_B, username: "StagingBot" };
const APP = { name: "acme", applicationId: "200000000000000002", publicKey: "cd".repeat(32) };

/** The one line a configuration stops with; it never shows a secret. */
function refusal(env: Record<string, string>): string {
  const err = assertThrows(() => loadConfig({ ...BASE, ...env }), ConfigError);
  const message = err.message;
  assert(!message.includes("\n"), message);
  const secrets = [TOKEN_A, TOKEN_B, SECRET_A, SECRET_B, "AAAAAAAAAAAA", "BBBBBBBBBBBB"];
  for (const secret of [...secrets, "discord-bot-token"]) {
    assert(!message.includes(secret), `a secret in: ${message}`);
  }
  return message;
}

Deno.test("bots: the single-bot variables are `default`, TELEGRAM_BOTS adds more", () => {
  const config = loadConfig({
    ...BASE,
    ...DEFAULT_TELEGRAM,
    TELEGRAM_BOTS: JSON.stringify([{
      ...staging,
      commands: ["help", "tasks"],
      appName: "Acme Staging",
      linkUrl: "https://staging.acme.test/link",
    }]),
  });
  assertEquals(config.telegramBots.map((b) => [b.name, b.botId, b.username]), [
    ["default", 111111, "ProdBot"],
    ["staging", 222222, "StagingBot"],
  ]);
  const [, second] = config.telegramBots;
  assertEquals(second.apiRoot, "https://api.telegram.org");
  assertEquals(second.commands, ["help", "tasks"]);
  assertEquals(second.appName, "Acme Staging");
  assertEquals(second.linkUrl, "https://staging.acme.test/link");
});

Deno.test("bots: named bots without a default, and Discord applications", () => {
  const config = loadConfig({
    ...BASE,
    TELEGRAM_BOTS: JSON.stringify([staging]),
    DISCORD_APPS: JSON.stringify([{ ...APP, publicKey: "CD".repeat(32) }]),
  });
  assertEquals(config.telegramBots.map((b) => b.name), ["staging"]);
  assertEquals(config.discordApps.map((a) => [a.name, a.publicKey]), [["acme", "cd".repeat(32)]]);
});

Deno.test("bots: each mistake stops start-up naming the variable, the entry and the field", async (t) => {
  const cases: [string, Record<string, string>, RegExp][] = [
    ["not JSON", { TELEGRAM_BOTS: "[{" }, /^TELEGRAM_BOTS is not valid JSON/],
    ["not an array", { TELEGRAM_BOTS: "{}" }, /^TELEGRAM_BOTS must be a JSON array/],
    ["an entry not an object", { TELEGRAM_BOTS: "[1]" }, /^TELEGRAM_BOTS entry 1 must be/],
    [
      "a route-unsafe name",
      { TELEGRAM_BOTS: JSON.stringify([{ ...staging, name: "Staging/1" }]) },
      /^TELEGRAM_BOTS entry 1: "name" must be 1-32 characters/,
    ],
    [
      "a name too long",
      { TELEGRAM_BOTS: JSON.stringify([{ ...staging, name: "a".repeat(33) }]) },
      /"name" must be 1-32/,
    ],
    [
      "a bad token shape",
      { TELEGRAM_BOTS: JSON.stringify([{ ...staging, token: "BBBBBBBBBBBB" }]) },
      /^TELEGRAM_BOTS entry 1 \("staging"\): "token" is malformed/,
    ],
    [
      "a missing secret",
      { TELEGRAM_BOTS: JSON.stringify([{ ...staging, secret: undefined }]) },
      /entry 1 \("staging"\): "secret" is required/,
    ],
    [
      "a short secret",
      { TELEGRAM_BOTS: JSON.stringify([{ ...staging, secret: "short" }]) },
      /"secret" must be 24-256 characters/,
    ],
    [
      "a bad username",
      { TELEGRAM_BOTS: JSON.stringify([{ ...staging, username: "1x" }]) },
      /"username" is not a Telegram bot username/,
    ],
    [
      "an unknown field (a typo)",
      { TELEGRAM_BOTS: JSON.stringify([{ ...staging, webhookSecret: SECRET_B }]) },
      /"webhookSecret" is not a field of TELEGRAM_BOTS entries/,
    ],
    [
      "a bad apiRoot",
      { TELEGRAM_BOTS: JSON.stringify([{ ...staging, apiRoot: "ftp://x" }]) },
      /"apiRoot" must be an http\(s\) URL/,
    ],
    [
      "an apiRoot in plain http to another machine (the token would cross in cleartext)",
      { TELEGRAM_BOTS: JSON.stringify([{ ...staging, apiRoot: "http://telegram.example" }]) },
      /"apiRoot" must be an https URL \(plain http only to 127\.0\.0\.1, localhost or \[::1\]\)/,
    ],
    [
      "a Discord apiBase in plain http to another machine",
      { DISCORD_APPS: JSON.stringify([{ ...APP, apiBase: "http://10.0.0.5/api/v10" }]) },
      /^DISCORD_APPS entry 1 \("acme"\): "apiBase" must be an https URL/,
    ],
    [
      "commands not a list",
      { TELEGRAM_BOTS: JSON.stringify([{ ...staging, commands: "tasks" }]) },
      /"commands" must be an array/,
    ],
    [
      "a duplicate name",
      {
        TELEGRAM_BOTS: JSON.stringify([staging, { ...staging, token: TOKEN_A, secret: SECRET_A }]),
      },
      /^TELEGRAM_BOTS entry "staging": "name" is used by two bots/,
    ],
    [
      "a second `default`",
      {
        ...DEFAULT_TELEGRAM,
        TELEGRAM_BOTS: JSON.stringify([{ ...staging, name: "default" }]),
      },
      /entry "default": "name" is used by two bots/,
    ],
    [
      "the same bot twice",
      { ...DEFAULT_TELEGRAM, TELEGRAM_BOTS: JSON.stringify([{ ...staging, token: TOKEN_A }]) },
      /entry "staging": "token" names a bot \(by its id\) that another entry names too \("default"\)/,
    ],
    [
      "a webhook secret reused by two bots",
      { ...DEFAULT_TELEGRAM, TELEGRAM_BOTS: JSON.stringify([{ ...staging, secret: SECRET_A }]) },
      /entry "staging": "secret" is the webhook secret of another bot/,
    ],
    [
      "a Discord public key reused",
      {
        DISCORD_PUBLIC_KEY: APP.publicKey,
        DISCORD_APPLICATION_ID: "300000000000000003",
        DISCORD_APPS: JSON.stringify([APP]),
      },
      /^DISCORD_APPS entry "acme": "publicKey" is the public key of another application/,
    ],
    [
      "a Discord application configured twice",
      {
        DISCORD_APPS: JSON.stringify([APP, { ...APP, name: "other", publicKey: "ef".repeat(32) }]),
      },
      /entry "other": "applicationId" is configured twice/,
    ],
    [
      "a bad Discord public key",
      { DISCORD_APPS: JSON.stringify([{ ...APP, publicKey: "xyz" }]) },
      /^DISCORD_APPS entry 1 \("acme"\): "publicKey" must be the 64 hex characters/,
    ],
    [
      "a bad linkUrl",
      { DISCORD_APPS: JSON.stringify([{ ...APP, linkUrl: "not a url" }]) },
      /"linkUrl" is not a URL/,
    ],
    [
      "an appName of spaces",
      { TELEGRAM_BOTS: JSON.stringify([{ ...staging, appName: "   " }]) },
      /^TELEGRAM_BOTS entry 1 \("staging"\): "appName" must be 1-60 characters of plain text/,
    ],
    [
      "an appName of a non-breaking space",
      { DISCORD_APPS: JSON.stringify([{ ...APP, appName: "\u00a0" }]) },
      /^DISCORD_APPS entry 1 \("acme"\): "appName" must be 1-60 characters of plain text/,
    ],
    [
      "an appName nobody can see",
      { TELEGRAM_BOTS: JSON.stringify([{ ...staging, appName: "\u200b\u2060" }]) },
      /"appName" must be 1-60 characters of plain text/,
    ],
    [
      "two bots with one username (Telegram ignores case)",
      {
        ...DEFAULT_TELEGRAM,
        TELEGRAM_BOTS: JSON.stringify([{ ...staging, username: "@prodbot" }]),
      },
      /^TELEGRAM_BOTS entry "staging": "username" is the username of another bot \("default"\)\.$/,
    ],
    [
      "a bot id past what a number holds exactly",
      {
        TELEGRAM_BOTS: JSON.stringify([{
          ...staging,
          token: "9007199254740993:" + "B".repeat(30),
        }]),
      },
      /^TELEGRAM_BOTS entry 1 \("staging"\): "token" is malformed: its bot id is too large/,
    ],
    [
      "the default bot's id past what a number holds exactly",
      { ...DEFAULT_TELEGRAM, TELEGRAM_BOT_TOKEN: "90071992547409930:" + "A".repeat(30) },
      /^TELEGRAM_BOT_TOKEN is malformed: its bot id is too large/,
    ],
    [
      "an empty commands list",
      { TELEGRAM_BOTS: JSON.stringify([{ ...staging, commands: [] }]) },
      /^TELEGRAM_BOTS entry 1 \("staging"\): "commands" is empty: list at least one command, or leave it out for all\.$/,
    ],
    [
      "a webhook secret without its bot token",
      { TELEGRAM_WEBHOOK_SECRET: SECRET_A },
      /^TELEGRAM_BOT_TOKEN is not set: it is required when TELEGRAM_WEBHOOK_SECRET is set\.$/,
    ],
    [
      "a username without its bot token",
      { TELEGRAM_BOT_USERNAME: "ProdBot" },
      /^TELEGRAM_BOT_TOKEN is not set: it is required when TELEGRAM_BOT_USERNAME is set\.$/,
    ],
    [
      "a Discord application id without its public key",
      { DISCORD_APPLICATION_ID: "300000000000000003" },
      /^DISCORD_PUBLIC_KEY is not set: it is required when DISCORD_APPLICATION_ID is set\.$/,
    ],
    [
      "a Discord bot token without its public key",
      { DISCORD_BOT_TOKEN: "discord-bot-token" },
      /^DISCORD_PUBLIC_KEY is not set: it is required when DISCORD_BOT_TOKEN is set\.$/,
    ],
    [
      "one Discord bot token for two applications",
      {
        DISCORD_PUBLIC_KEY: "ab".repeat(32),
        DISCORD_APPLICATION_ID: "300000000000000003",
        DISCORD_BOT_TOKEN: "discord-bot-token",
        DISCORD_APPS: JSON.stringify([{ ...APP, botToken: "discord-bot-token" }]),
      },
      /^DISCORD_APPS entry "acme": "botToken" is the bot token of another application \("default"\)\.$/,
    ],
  ];
  for (const [what, env, expected] of cases) {
    await t.step(what, () => {
      const message = refusal(env);
      assert(expected.test(message), `${what}: ${message}`);
    });
  }
});

Deno.test("bots: a command list naming an unknown command stops the gateway's start", () => {
  const config = loadConfig({
    ...BASE,
    TELEGRAM_BOTS: JSON.stringify([{ ...staging, commands: ["tasks", "taks"] }]),
  });
  const err = assertThrows(() => createGateway(config), ConfigError);
  assertEquals(
    err.message,
    'TELEGRAM_BOTS entry "staging": "commands" names "taks", which no command has.',
  );
  const http = loadConfig({
    ...BASE,
    DISCORD_APPS: JSON.stringify([{ ...APP, commands: ["link-code"] }]),
  });
  const offered = assertThrows(() => createGateway(http), ConfigError);
  assert(
    offered.message.endsWith('"link-code", which is not offered on Discord.'),
    offered.message,
  );
});

Deno.test("bots: an app name of blank characters Unicode files as letters is refused", () => {
  for (const blank of ["\u2800", "\u115F", "\u3164 \u3164"]) {
    const message = refusal({
      TELEGRAM_BOTS: JSON.stringify([{ ...staging, appName: blank }]),
    });
    assert(/"appName"/.test(message), message);
  }
});
