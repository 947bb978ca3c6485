/**
 * Slack apps in the bot registry (`SLACK_SIGNING_SECRET` and friends, `SLACK_APPS`): what a good
 * entry becomes, and that each kind of mistake stops start-up with one line naming the variable,
 * the entry and the field, never a secret.
 */
import { assert, assertEquals, assertThrows } from "../assert.ts";
import { loadConfig } from "../../supabase/functions/_shared/config.ts";
import { ConfigError } from "../../supabase/functions/_shared/config_values.ts";
import { createGateway } from "../../supabase/functions/gateway/gateway.ts";
import { commands } from "../../supabase/functions/gateway/commands/mod.ts";
import { defineCommand } from "../../supabase/functions/_shared/command.ts";
import { reply } from "../../supabase/functions/_shared/reply.ts";
import { z } from "zod";

const BASE = {
  SUPABASE_URL: "https://abc.supabase.co",
  SUPABASE_ANON_KEY: "anon",
  SUPABASE_SERVICE_ROLE_KEY: "service",
  GATEWAY_JWT_SECRET: "j".repeat(40),
};
const SECRET_A = "8f742231b10e8888abcd99aaaacc85a5";
const SECRET_B = "0123456789abcdef0123456789abcdef";
const TOKEN = "xoxb-1111-2222-AAAAbbbbCCCCdddd";
const beta = { name: "beta", signingSecret: SECRET_B };

/** A command whose name leaves 6 characters for a prefix in Slack's 32. */
const longName = defineCommand({
  name: "show-the-weekly-summary",
  description: "A command with a long name",
  args: z.object({}),
  requires: "none",
  run: () => Promise.resolve(reply.text("ok")),
});

function refusal(env: Record<string, string>): string {
  const err = assertThrows(
    () => createGateway(loadConfig({ ...BASE, ...env }), { commands: [...commands, longName] }),
    ConfigError,
  );
  assert(!err.message.includes("\n"), err.message);
  for (const secret of [SECRET_A, SECRET_B, TOKEN]) {
    assert(!err.message.includes(secret), `a secret in: ${err.message}`);
  }
  return err.message;
}

Deno.test("slack config: the single-app variables are `default`, SLACK_APPS adds more", () => {
  const config = loadConfig({
    ...BASE,
    SLACK_SIGNING_SECRET: SECRET_A,
    SLACK_BOT_TOKEN: TOKEN,
    SLACK_COMMAND_PREFIX: "acme-",
    SLACK_APPS: JSON.stringify([{
      ...beta,
      botToken: "xoxe.xoxb-1-rotating",
      apiBase: "http://127.0.0.1:9/__sinks/slack/api/",
      commands: ["help", "tasks"],
      appName: "Beta",
      linkUrl: "https://beta.example/link",
    }]),
  });
  const [first, second] = config.slackApps;
  assertEquals(first, {
    name: "default",
    signingSecret: SECRET_A,
    botToken: TOKEN,
    apiBase: "https://slack.com/api",
    commandPrefix: "acme-",
  });
  assertEquals(second.apiBase, "http://127.0.0.1:9/__sinks/slack/api");
  assertEquals(second.commandPrefix, "");
  assertEquals(second.commands, ["help", "tasks"]);
  assertEquals([second.appName, second.linkUrl], ["Beta", "https://beta.example/link"]);
  assertEquals(loadConfig(BASE).slackApps, []);
});

Deno.test("slack config: each mistake is one line naming the variable, entry and field", async (t) => {
  const cases: [string, Record<string, string>, RegExp][] = [
    ["a short signing secret", { SLACK_SIGNING_SECRET: "abc" }, /^SLACK_SIGNING_SECRET must be/],
    [
      "a bot token that is not a bot token",
      { SLACK_SIGNING_SECRET: SECRET_A, SLACK_BOT_TOKEN: "xoxp-user-token" },
      /^SLACK_BOT_TOKEN must be the app's Bot User OAuth Token/,
    ],
    [
      "a bot token without the signing secret",
      { SLACK_BOT_TOKEN: TOKEN },
      /^SLACK_SIGNING_SECRET is not set: it is required when SLACK_BOT_TOKEN is set\.$/,
    ],
    [
      "a prefix Slack would not take",
      { SLACK_SIGNING_SECRET: SECRET_A, SLACK_COMMAND_PREFIX: "Acme " },
      /^SLACK_COMMAND_PREFIX must be 1-20 characters/,
    ],
    [
      "a prefix making a command too long",
      { SLACK_SIGNING_SECRET: SECRET_A, SLACK_COMMAND_PREFIX: "acme-app-" },
      /^SLACK_COMMAND_PREFIX makes \/acme-app-show-the-weekly-summary, longer than Slack's 32 characters: choose a shorter prefix\.$/,
    ],
    [
      "an entry's prefix making a command too long",
      { SLACK_APPS: JSON.stringify([{ ...beta, commandPrefix: "b".repeat(9) }]) },
      /^SLACK_APPS entry "beta": "commandPrefix" makes \/b{9}show-the-weekly-summary, longer than/,
    ],
    ["not JSON", { SLACK_APPS: "[" }, /^SLACK_APPS is not valid JSON/],
    [
      "a missing signing secret",
      { SLACK_APPS: JSON.stringify([{ name: "beta" }]) },
      /^SLACK_APPS entry 1 \("beta"\): "signingSecret" is required\.$/,
    ],
    [
      "a bad signing secret",
      { SLACK_APPS: JSON.stringify([{ ...beta, signingSecret: "x-y" }]) },
      /^SLACK_APPS entry 1 \("beta"\): "signingSecret" must be the app's Signing Secret/,
    ],
    [
      "a bad bot token",
      { SLACK_APPS: JSON.stringify([{ ...beta, botToken: "token" }]) },
      /"botToken" must be the app's Bot User OAuth Token/,
    ],
    [
      "a typo'd field",
      { SLACK_APPS: JSON.stringify([{ ...beta, prefix: "x-" }]) },
      /"prefix" is not a field of SLACK_APPS entries \(name, signingSecret, botToken/,
    ],
    [
      "a signing secret reused by two apps",
      { SLACK_SIGNING_SECRET: SECRET_B, SLACK_APPS: JSON.stringify([beta]) },
      /^SLACK_APPS entry "beta": "signingSecret" is the signing secret of another app \("default"\)\.$/,
    ],
    [
      "two apps named alike",
      {
        SLACK_APPS: JSON.stringify([beta, { ...beta, signingSecret: SECRET_A }]),
      },
      /^SLACK_APPS entry "beta": "name" is used by two apps/,
    ],
    [
      "a command prefix without the signing secret",
      { SLACK_COMMAND_PREFIX: "acme-" },
      /^SLACK_SIGNING_SECRET is not set: it is required when SLACK_COMMAND_PREFIX is set\.$/,
    ],
    [
      "one bot token for two apps",
      {
        SLACK_SIGNING_SECRET: SECRET_B,
        SLACK_BOT_TOKEN: TOKEN,
        SLACK_APPS: JSON.stringify([{ ...beta, signingSecret: SECRET_A, botToken: TOKEN }]),
      },
      /^SLACK_APPS entry "beta": "botToken" is the bot token of another app \("default"\)\.$/,
    ],
    [
      "an appName of spaces",
      { SLACK_APPS: JSON.stringify([{ ...beta, appName: " \u00a0 " }]) },
      /^SLACK_APPS entry 1 \("beta"\): "appName" must be 1-60 characters of plain text/,
    ],
    [
      "an API base over plain http to another machine (the bot token in cleartext)",
      { SLACK_SIGNING_SECRET: SECRET_A, SLACK_API_BASE: "http://slack.example.com/api" },
      /^SLACK_API_BASE must be an https URL \(plain http only to 127\.0\.0\.1, localhost or/,
    ],
    [
      "an entry's API base over plain http to another machine",
      { SLACK_APPS: JSON.stringify([{ ...beta, apiBase: "http://10.0.0.5:8080/api" }]) },
      /^SLACK_APPS entry 1 \("beta"\): "apiBase" must be an https URL/,
    ],
    [
      "a command Slack does not offer",
      { SLACK_APPS: JSON.stringify([{ ...beta, commands: ["start"] }]) },
      /^SLACK_APPS entry "beta": "commands" names "start", which is not offered on Slack\.$/,
    ],
  ];
  for (const [what, env, expected] of cases) {
    await t.step(what, () => {
      const message = refusal(env);
      assert(expected.test(message), `${what}: ${message}`);
    });
  }
});

Deno.test("slack config: an API base is https, or plain http to this machine", () => {
  for (const base of ["https://slack.com/api", "http://127.0.0.1:54321/__sinks/slack/api"]) {
    const config = loadConfig({ ...BASE, SLACK_SIGNING_SECRET: SECRET_A, SLACK_API_BASE: base });
    assertEquals(config.slackApps[0].apiBase, base);
  }
  const local = loadConfig({
    ...BASE,
    SLACK_APPS: JSON.stringify([{ ...beta, apiBase: "http://localhost:9000/api" }]),
  });
  assertEquals(local.slackApps[0].apiBase, "http://localhost:9000/api");
});

Deno.test("slack config: the channel is off without an app (404 channel_disabled)", async () => {
  const gateway = createGateway(loadConfig(BASE));
  for (const path of ["/slack", "/slack/beta"]) {
    const res = await gateway(
      new Request(`http://gw.test/functions/v1/gateway${path}`, { method: "POST", body: "x=1" }),
    );
    assertEquals(res.status, 404);
    assertEquals((await res.json()).error.code, "channel_disabled");
  }
});
