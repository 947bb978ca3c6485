/**
 * `deno task slack:manifest`: the manifest Slack takes (checked against Slack's own manifest
 * schema, slackapi/manifest-schema, kept in tests/support), with the app's slash commands named
 * with its prefix, their descriptions and usage hints from the registry, the request URL of the
 * app's route for commands, interactivity and events (`app_mention`, `message.im`), the App Home's
 * messages tab, and the bot scopes; one-line errors otherwise.
 */
import { Ajv } from "ajv";
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { main } from "../../adapters/slack/manifest_task.ts";
import type { slackManifest } from "../../adapters/slack/manifest.ts";
import { listedOn } from "../../supabase/functions/_shared/command.ts";
import { commands } from "../../supabase/functions/gateway/commands/mod.ts";

const schema = JSON.parse(
  await Deno.readTextFile(new URL("../support/slack_manifest.schema.json", import.meta.url)),
);
const SECRET = "0123456789abcdef0123456789abcdef";
const ENV = {
  SUPABASE_URL: "https://abc.supabase.co",
  SLACK_SIGNING_SECRET: SECRET,
  SLACK_APPS: JSON.stringify([{
    name: "acme",
    signingSecret: "fedcba9876543210fedcba9876543210",
    commandPrefix: "acme-",
    commands: ["help", "link", "tasks", "add"],
    appName: "Acme Tasks",
  }]),
};

async function run(args: string[], env: Record<string, string> = ENV) {
  const lines: string[] = [];
  const code = await main(args, env, (l) => lines.push(l));
  return { code, text: lines.join("\n") };
}

Deno.test("slack manifest: the default app, valid for Slack's schema", async () => {
  const { code, text } = await run([]);
  assertEquals(code, 0, text);
  assert(!text.includes(SECRET), "the signing secret printed");
  const manifest = JSON.parse(text) as ReturnType<typeof slackManifest>;
  const validate = new Ajv({ strict: false, allErrors: true }).compile(schema);
  assert(validate({ ...manifest }), JSON.stringify(validate.errors));
  const url = "https://abc.supabase.co/functions/v1/gateway/slack";
  assertEquals(manifest.settings.interactivity, { is_enabled: true, request_url: url });
  assertEquals(manifest.oauth_config.scopes.bot, [
    "commands",
    "chat:write",
    "im:write",
    "app_mentions:read",
    "im:history",
  ]);
  // Commands by mention and in the app's DM: the Events API at the same URL, the messages tab.
  assertEquals(manifest.settings.event_subscriptions, {
    request_url: url,
    bot_events: ["app_mention", "message.im"],
  });
  assertEquals(manifest.features.app_home.messages_tab_enabled, true);
  assertEquals(manifest.features.app_home.messages_tab_read_only_enabled, false);
  const slash = manifest.features.slash_commands;
  assertEquals(
    slash.map((c) => c.command),
    listedOn(commands, "slack").map((c) => `/${c.name}`),
  );
  assert(slash.every((c) => c.url === url));
  assertEquals(slash.find((c) => c.command === "/add"), {
    command: "/add",
    url,
    description: "Add a task",
    usage_hint: "<title>",
    should_escape: false,
  });
  assertEquals(slash.find((c) => c.command === "/tasks")?.usage_hint, "[page]");
  assertEquals(
    "usage_hint" in slash.find((c) => c.command === "/help")!,
    false,
  );
});

Deno.test("slack manifest: --bot NAME, its prefix, its commands, its route; --url", async () => {
  const { code, text } = await run(["--bot", "acme", "--url", "https://api.acme.test/gw/"]);
  assertEquals(code, 0, text);
  const manifest = JSON.parse(text) as ReturnType<typeof slackManifest>;
  assertEquals(manifest.display_information.name, "Acme Tasks");
  assertEquals(
    manifest.features.slash_commands.map((c) => c.command),
    ["/acme-help", "/acme-link", "/acme-tasks", "/acme-add"],
  );
  assertEquals(manifest.settings.interactivity.request_url, "https://api.acme.test/gw/slack/acme");
  assertEquals(
    manifest.settings.event_subscriptions.request_url,
    "https://api.acme.test/gw/slack/acme",
  );
  const validate = new Ajv({ strict: false }).compile(schema);
  assert(validate({ ...manifest }), JSON.stringify(validate.errors));
});

Deno.test("slack manifest: mistakes are one line", async () => {
  assertMatch(
    (await run(["--bot", "nope"])).text,
    /^error: no Slack app is named 'nope' \(configured: default, acme\)$/,
  );
  const noUrl = { ...ENV, SUPABASE_URL: "" };
  assertMatch((await run([], noUrl)).text, /^error: pass --url https:\/\/<project>/);
  assertMatch(
    (await run([], { ...ENV, SLACK_SIGNING_SECRET: "x" })).text,
    /^error: SLACK_SIGNING_SECRET must be/,
  );
  assertEquals((await run(["--nope"])).code, 2);
});

Deno.test("slack manifest: no signing secret needed, as before the app exists", async () => {
  // docs/slack.md, step 1: the manifest comes first, the signing secret only once the app is made.
  const url = "https://abc.supabase.co/functions/v1/gateway";
  const bare = await run(["--url", url], {});
  assertEquals(bare.code, 0, bare.text);
  const manifest = JSON.parse(bare.text) as ReturnType<typeof slackManifest>;
  assertEquals(manifest.settings.interactivity.request_url, `${url}/slack`);
  const prefixed = JSON.parse(
    (await run(["--url", url], { SLACK_COMMAND_PREFIX: "acme-" })).text,
  ) as ReturnType<typeof slackManifest>;
  assert(prefixed.features.slash_commands.every((c) => c.command.startsWith("/acme-")));
  const entry = await run(["--bot", "ops", "--url", url], {
    SLACK_APPS: JSON.stringify([{ name: "ops", commandPrefix: "ops-", commands: ["tasks"] }]),
  });
  assertEquals(entry.code, 0, entry.text);
  const ops = JSON.parse(entry.text) as ReturnType<typeof slackManifest>;
  assertEquals(ops.settings.interactivity.request_url, `${url}/slack/ops`);
  assertEquals(ops.features.slash_commands.map((c) => c.command), ["/ops-tasks"]);
  // A secret that is given is still checked.
  assertMatch(
    (await run(["--url", url], { SLACK_APPS: '[{"name":"ops","signingSecret":"x"}]' })).text,
    /^error: SLACK_APPS entry 1 \("ops"\): "signingSecret" must be/,
  );
});
