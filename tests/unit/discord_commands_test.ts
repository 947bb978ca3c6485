/**
 * Unit tests of Discord registration: the application command JSON derived from the registry
 * (types, required-first order, limits, choices, autocomplete) and the `discord:register` task
 * driven against the local Discord sink (bulk overwrite, errors, dry run). Tests of the machinery
 * take their expectations from the registry, so adding a command keeps them green; the one test
 * that pins the demo commands' options is named "demo: …".
 */
import assert from "node:assert/strict";
import { z } from "zod";
import {
  type DiscordCommandJson,
  discordCommandsJson,
  OptionType,
} from "../../adapters/discord/commands_json.ts";
import { registerCommands } from "../../adapters/discord/register_task.ts";
import { createDiscordSink } from "../../dev/sinks/mod.ts";
import {
  createRegistry,
  defineCommand,
  listedOn,
} from "../../supabase/functions/_shared/command.ts";
import { reply } from "../../supabase/functions/_shared/reply.ts";
import { commands } from "../../supabase/functions/gateway/commands/mod.ts";

const APP = "100000000000000001";
const GUILD = "900000000000000001";

function byName(json: DiscordCommandJson[], name: string): DiscordCommandJson {
  const found = json.find((c) => c.name === name);
  assert.ok(found, `/${name} is registered`);
  return found;
}

/** What registration should send for the app's registry: offered on Discord, not hidden. */
const discordNames = listedOn(commands, "discord").map((c) => c.name);

Deno.test("discord commands JSON", async (t) => {
  const json = discordCommandsJson(commands);

  await t.step("every command listed on Discord, in registry order, and no other", () => {
    assert.ok(discordNames.length > 0, "the registry offers something on Discord");
    assert.deepEqual(json.map((c) => c.name), discordNames);
    for (const c of json) {
      assert.equal(c.type, 1);
      assert.ok(c.description.length >= 1 && c.description.length <= 100);
    }
  });

  await t.step("a new command appears with its options", () => {
    const rate = defineCommand({
      name: "rate",
      description: "Rate something",
      args: z.object({
        note: z.string().max(10_000).optional(),
        stars: z.int().min(1).max(5).describe("How many stars"),
        mood: z.enum(["happy", "sad"]).describe("How you feel"),
        weight: z.number().gt(0).lt(1.5),
        big: z.int(),
        loud: z.boolean().default(false),
      }),
      requires: "user",
      run: () => Promise.resolve(reply.text("ok")),
    });
    const registry = createRegistry([...commands, rate]);
    const out = discordCommandsJson(registry.list(), { contexts: [0, 1], integrationTypes: [0] });
    const c = byName(out, "rate");
    assert.deepEqual(c.contexts, [0, 1]);
    assert.deepEqual(c.integration_types, [0]);
    // Required options first, each group in schema order.
    assert.deepEqual(c.options!.map((o) => [o.name, o.required ?? false]), [
      ["stars", true],
      ["mood", true],
      ["weight", true],
      ["big", true],
      ["note", false],
      ["loud", false],
    ]);
    const [stars, mood, weight, big, note, loud] = c.options!;
    assert.deepEqual(
      [stars.type, stars.min_value, stars.max_value, stars.description],
      [4, 1, 5, "How many stars"],
    );
    assert.deepEqual(mood.choices, [
      { name: "happy", value: "happy" },
      { name: "sad", value: "sad" },
    ]);
    assert.equal(mood.type, OptionType.STRING);
    assert.deepEqual([weight.type, weight.min_value, weight.max_value], [10, 0, 1.5]);
    assert.ok(big.min_value! >= -(2 ** 53) && big.max_value! <= 2 ** 53, "clamped to ±2^53");
    assert.deepEqual([note.max_length, note.description], [6000, "note"], "clamped; fallback");
    assert.equal(loud.type, OptionType.BOOLEAN);
  });

  await t.step("hidden or off-Discord commands stay out", () => {
    const secret = defineCommand({
      name: "secret",
      description: "Hidden",
      args: z.object({}),
      requires: "none",
      hidden: true,
      run: () => Promise.resolve(reply.text("")),
    });
    const webOnly = defineCommand({
      name: "web-only",
      description: "HTTPS only",
      args: z.object({}),
      requires: "none",
      channels: ["http"],
      run: () => Promise.resolve(reply.text("")),
    });
    assert.deepEqual(discordCommandsJson([secret, webOnly]), []);
  });
});

Deno.test("demo: the demo commands' Discord options follow their schemas", () => {
  const json = discordCommandsJson(commands);
  assert.deepEqual(byName(json, "add").options, [{
    type: OptionType.STRING,
    name: "title",
    description: "The task title",
    required: true,
    min_length: 1,
    max_length: 500,
  }]);
  assert.deepEqual(byName(json, "done").options, [{
    type: OptionType.INTEGER,
    name: "id",
    description: "The task number",
    required: true,
    min_value: 1,
    max_value: Number.MAX_SAFE_INTEGER,
    autocomplete: true,
  }]);
  assert.deepEqual(byName(json, "link").options, [{
    type: OptionType.STRING,
    name: "code",
    description: "The link code",
    required: true,
    min_length: 4,
    max_length: 32,
  }]);
  assert.deepEqual(byName(json, "tasks").options, [{
    type: OptionType.INTEGER,
    name: "page",
    description: "The page number",
    min_value: 1,
    max_value: 10_000,
  }]);
});

Deno.test("discord:register task", async (t) => {
  const sink = createDiscordSink();
  const sinkFetch: typeof fetch = (input, init) => {
    const req = new Request(input, init);
    return sink.handle(req, new URL(req.url).pathname.replace(/^\/discord/, ""));
  };
  const env = {
    DISCORD_PUBLIC_KEY: "ab".repeat(32),
    DISCORD_APPLICATION_ID: APP,
    DISCORD_BOT_TOKEN: "bot-token-secret",
    DISCORD_API_BASE: "https://discord.test/discord/api/v10/",
  };
  const run = async (args: string[], over: Record<string, string | undefined> = {}) => {
    const lines: string[] = [];
    await registerCommands({
      args,
      env: { ...env, ...over },
      fetch: sinkFetch,
      print: (l) => lines.push(l),
    });
    return lines;
  };

  await t.step("--dry-run prints the JSON and calls nothing", async () => {
    const lines = await run(["--dry-run"], { DISCORD_BOT_TOKEN: undefined });
    assert.deepEqual(JSON.parse(lines.join("\n")), discordCommandsJson(commands));
    assert.equal(sink.calls.length, 0);
  });

  await t.step("global bulk overwrite", async () => {
    const lines = await run([]);
    assert.equal(lines.length, 1);
    assert.equal(
      lines[0],
      `default (app ${APP}): Registered ${discordNames.length} commands for all servers (global): ` +
        discordNames.map((n) => `/${n}`).join(" "),
    );
    assert.ok(!lines[0].includes("bot-token-secret"));
    const put = sink.calls.at(-1)!;
    assert.equal(put.method, "PUT");
    assert.equal(put.path, `/api/v10/applications/${APP}/commands`);
    assert.equal(put.headers.authorization, "Bot [redacted]");
    assert.deepEqual(sink.commands(APP).map((c) => (c as { name: string }).name), discordNames);
  });

  await t.step("guild overwrite", async () => {
    const lines = await run(["--guild", GUILD]);
    assert.match(lines[0], new RegExp(`guild ${GUILD}`));
    assert.equal(sink.commands(APP, GUILD).length, discordNames.length);
  });

  await t.step("clear one-line errors", async () => {
    await assert.rejects(run([], { DISCORD_BOT_TOKEN: "" }), /DISCORD_BOT_TOKEN is not set/);
    await assert.rejects(run([], { DISCORD_APPLICATION_ID: undefined }), /APPLICATION_ID/);
    await assert.rejects(run(["--guild", "abc"]), /--guild needs/);
    await assert.rejects(run(["--nope"]), { message: /Unknown argument/, exitCode: 2 });
    await assert.rejects(run([], { DISCORD_PUBLIC_KEY: undefined }), {
      message: /^DISCORD_PUBLIC_KEY is not set: it is required when DISCORD_APPLICATION_ID is set/,
      exitCode: 2,
    });
    sink.failNext({ method: "PUT" }, { status: 500 });
    await assert.rejects(run([]), {
      message: /Discord refused the commands: 500 500: Internal Server Error/,
      exitCode: 1,
    });
    const bad = defineCommand({
      name: "bad",
      description: "x",
      args: z.object({}),
      requires: "none",
      run: () => Promise.resolve(reply.text("")),
    });
    const fake: typeof fetch = () =>
      Promise.resolve(Response.json({
        message: "Invalid Form Body",
        code: 50035,
        errors: { 0: { name: { _errors: [{ code: "X", message: "Command name is invalid" }] } } },
      }, { status: 400 }));
    await assert.rejects(
      registerCommands({ args: [], env, commands: [bad], fetch: fake, print: () => {} }),
      /400 Invalid Form Body \(code 50035\): 0\.name: Command name is invalid/,
    );
  });

  await t.step("an error that echoes the bot token is printed without it", async () => {
    // Discord's messages and field errors may quote what was sent, the token among it.
    const refusal = () =>
      Response.json({
        message: `401: Unauthorized (Bot ${env.DISCORD_BOT_TOKEN})`,
        code: 0,
        errors: { token: { _errors: [{ code: "X", message: `bad ${env.DISCORD_BOT_TOKEN}` }] } },
      }, { status: 401 });
    // The commands are taken; the endpoint URL (PATCH) is refused with the echo.
    const echo: typeof fetch = (_input, init) =>
      Promise.resolve(init?.method === "PUT" && endpointOnly ? Response.json([]) : refusal());
    let endpointOnly = false;
    const url = ["--url", "https://gw.example/functions/v1/gateway/discord"];
    for (const args of [[], ["--all"], ["--endpoint", ...url], ["--all", "--endpoint", ...url]]) {
      endpointOnly = args.includes("--endpoint");
      const lines: string[] = [];
      const err = await registerCommands({
        args,
        env,
        fetch: echo,
        print: (l) => lines.push(l),
      }).then(() => null, (e: Error) => e);
      assert.ok(err, `${args}: refused`);
      const shown = [err.message, ...lines].join("\n");
      assert.match(shown, /401: Unauthorized \(Bot \*\*\*\)/, shown);
      assert.ok(!shown.includes(env.DISCORD_BOT_TOKEN), `${args}: the token was printed: ${shown}`);
    }
  });
});

Deno.test("discord:register with several applications", async (t) => {
  const sink = createDiscordSink();
  const sinkFetch: typeof fetch = (input, init) => {
    const req = new Request(input, init);
    return sink.handle(req, new URL(req.url).pathname.replace(/^\/discord/, ""));
  };
  const STAGING = "100000000000000002";
  const staging = {
    name: "staging",
    applicationId: STAGING,
    publicKey: "cd".repeat(32),
    botToken: "staging-bot-token",
    commands: ["help", "tasks"],
  };
  sink.registerApplication({
    applicationId: APP,
    botToken: "default-bot-token",
    publicKey: "ab".repeat(32),
  });
  sink.registerApplication({ ...staging });
  // An application this gateway does not serve (its token pasted into the wrong entry).
  sink.registerApplication({
    applicationId: "100000000000000003",
    botToken: "another-bot-token",
    publicKey: "ef".repeat(32),
  });
  const env = {
    DISCORD_PUBLIC_KEY: "ab".repeat(32),
    DISCORD_APPLICATION_ID: APP,
    DISCORD_BOT_TOKEN: "default-bot-token",
    DISCORD_API_BASE: "https://discord.test/discord/api/v10",
    DISCORD_APPS: JSON.stringify([{ ...staging, apiBase: "https://discord.test/discord/api/v10" }]),
  };
  const run = async (args: string[], over: Record<string, string> = {}) => {
    const lines: string[] = [];
    await registerCommands({
      args,
      env: { ...env, ...over },
      fetch: sinkFetch,
      print: (l) => lines.push(l),
    });
    return lines;
  };
  const names = (list: unknown[]) => list.map((c) => (c as { name: string }).name);

  await t.step("--dry-run --all: each application's own commands, by name", async () => {
    const json = JSON.parse((await run(["--dry-run", "--all"])).join("\n"));
    assert.deepEqual(Object.keys(json), ["default", "staging"]);
    assert.deepEqual(names(json.default), discordNames);
    assert.deepEqual(names(json.staging), ["help", "tasks"]);
    assert.equal(sink.calls.length, 0);
  });
  await t.step("--all: each with its own token, only what it offers", async () => {
    const lines = await run(["--all"]);
    assert.equal(lines.length, 2);
    assert.equal(
      lines[1],
      `staging (app ${STAGING}): Registered 2 commands for all servers (global): /help /tasks`,
    );
    assert.deepEqual(names(sink.commands(APP)), discordNames);
    assert.deepEqual(names(sink.commands(STAGING)), ["help", "tasks"]);
    assert.ok(!lines.join("\n").includes("bot-token"));
  });
  await t.step("a name no application has, or one without a bot token: exit 2", async () => {
    await assert.rejects(run(["--bot", "prod"]), {
      message: 'no Discord application is named "prod" (configured: default, staging).',
      exitCode: 2,
    });
    const { botToken: _, ...tokenless } = staging;
    const apps = JSON.stringify([{ ...tokenless, apiBase: env.DISCORD_API_BASE }]);
    await assert.rejects(run(["--all"], { DISCORD_APPS: apps }), {
      message: 'DISCORD_APPS entry "staging" has no botToken (the Bot page of the application).',
      exitCode: 2,
    });
    await assert.rejects(run(["--url", "https://x.example"]), { exitCode: 2 });
    await assert.rejects(run(["--endpoint"]), { message: /--endpoint needs the gateway's URL/ });
  });
  await t.step(
    "another application's token: Discord's 403, the others still registered",
    async () => {
      const apps = JSON.stringify([{
        ...staging,
        botToken: "another-bot-token",
        apiBase: env.DISCORD_API_BASE,
      }]);
      const lines: string[] = [];
      await assert.rejects(
        registerCommands({
          args: ["--all"],
          env: { ...env, DISCORD_APPS: apps },
          fetch: sinkFetch,
          print: (l) => lines.push(l),
        }),
        { message: "1 of 2 applications failed.", exitCode: 1 },
      );
      assert.match(lines[0], /^default \(app \d+\): Registered /);
      assert.equal(
        lines[1],
        `error: staging (app ${STAGING}): Discord refused the commands: 403 Missing Access ` +
          "(code 50001)",
      );
    },
  );
});
