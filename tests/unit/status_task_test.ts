/**
 * `deno task status` end to end, without a database: two Telegram bots and two Discord apps on a
 * real gateway served over loopback HTTP, with the Telegram and Discord sinks on the same server.
 * The setup tasks configure every bot (Discord verifies each endpoint by signed PINGs against the
 * gateway), status then reports nothing; each drift someone else causes through the sinks (a
 * webhook set elsewhere, an old menu, failing deliveries, an old registration, another key) is
 * reported for exactly that bot, with the command that fixes it, and exit 1.
 */
import { assert, assertEquals } from "../assert.ts";
import { registerCommands } from "../../adapters/discord/register_task.ts";
import { status } from "../../adapters/status/task.ts";
import { main as telegramWebhook } from "../../adapters/telegram/webhook_task.ts";
import {
  createDiscordSink,
  createTelegramSink,
  DISCORD_SINK_PREFIX,
  sinkMounts,
  TELEGRAM_SINK_PREFIX,
} from "../../dev/sinks/mod.ts";
import { loadConfig } from "../../supabase/functions/_shared/config.ts";
import { createLogger } from "../../supabase/functions/_shared/log.ts";
import { createGateway } from "../../supabase/functions/gateway/gateway.ts";
import { discordKeys } from "../discord_fixtures.ts";

const NOW = 1_750_000_000_000;
const TG = {
  default: "5100:DEFAULT_TOKEN_abcdefghijklmnopqrst",
  staging: "5200:STAGING_TOKEN_abcdefghijklmnopqrst",
};
const TG_SECRETS = { default: "d".repeat(32), staging: "s".repeat(32) };
const APPS = { default: "100000000000000101", staging: "100000000000000102" };
const DC = { default: "discord-default-bot-token", staging: "discord-staging-bot-token" };

Deno.test("status: drift on the platforms, per bot", async (t) => {
  const telegram = createTelegramSink();
  const discord = createDiscordSink();
  const mounts = sinkMounts(telegram, discord);
  // Served once built: its configuration needs the server's URL.
  const gateway: { handler?: (req: Request) => Promise<Response> } = {};
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, (req) => {
    const path = new URL(req.url).pathname;
    if (path.startsWith("/functions/v1/gateway")) return gateway.handler!(req);
    const mount = mounts.find((m) => path.startsWith(m.prefix));
    return mount ? mount.handler(req) : Promise.resolve(new Response(null, { status: 404 }));
  });
  const base = `http://127.0.0.1:${server.addr.port}`;
  const apiRoot = base + TELEGRAM_SINK_PREFIX;
  const apiBase = `${base}${DISCORD_SINK_PREFIX}/api/v10`;
  const [keys, stagingKeys] = [await discordKeys(), await discordKeys()];
  const env: Record<string, string> = {
    SUPABASE_URL: base,
    SUPABASE_ANON_KEY: "anon",
    SUPABASE_SERVICE_ROLE_KEY: "service",
    GATEWAY_JWT_SECRET: "j".repeat(32),
    TELEGRAM_BOT_TOKEN: TG.default,
    TELEGRAM_WEBHOOK_SECRET: TG_SECRETS.default,
    TELEGRAM_BOT_USERNAME: "DefaultBot",
    TELEGRAM_API_ROOT: apiRoot,
    TELEGRAM_BOTS: JSON.stringify([{
      name: "staging",
      token: TG.staging,
      secret: TG_SECRETS.staging,
      username: "StagingBot",
      apiRoot,
      commands: ["start", "help", "link", "tasks"],
    }]),
    DISCORD_PUBLIC_KEY: keys.publicKeyHex,
    DISCORD_APPLICATION_ID: APPS.default,
    DISCORD_BOT_TOKEN: DC.default,
    DISCORD_API_BASE: apiBase,
    DISCORD_APPS: JSON.stringify([{
      name: "staging",
      applicationId: APPS.staging,
      publicKey: stagingKeys.publicKeyHex,
      botToken: DC.staging,
      apiBase,
      commands: ["help", "link", "tasks"],
    }]),
  };
  const served = createGateway(loadConfig(env), { log: createLogger(() => {}) });
  gateway.handler = served;
  for (const [name, k] of [["default", keys], ["staging", stagingKeys]] as const) {
    const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", k.privateKey));
    discord.registerApplication({
      applicationId: APPS[name],
      botToken: DC[name],
      publicKey: k.publicKeyHex,
      privateKey: btoa(String.fromCharCode(...pkcs8)),
    });
  }
  const printed: string[] = [];
  const run = async (args: string[], over: Record<string, string> = {}) => {
    const lines: string[] = [];
    const code = await status({
      args,
      env: { ...env, ...over },
      print: (l) => lines.push(l),
      now: () => NOW,
    });
    printed.push(...lines);
    return { code, lines };
  };
  const ok = [
    "telegram default (@DefaultBot): ok",
    "telegram staging (@StagingBot): ok",
    `discord default (app ${APPS.default}): ok`,
    `discord staging (app ${APPS.staging}): ok`,
  ];
  const fn = `${base}/functions/v1/gateway`;
  const tgCall = async (token: string, method: string, params: unknown) => {
    const res = await fetch(`${apiRoot}/bot${token}/${method}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(params),
    });
    assert((await res.json()).ok, method);
  };

  try {
    await t.step("nothing set up yet: every bot differs", async () => {
      const { code, lines } = await run([]);
      assertEquals(code, 1);
      assertEquals(lines, [
        "telegram default (@DefaultBot): 2 differences",
        `    no webhook is set (this gateway's is ${fn}/telegram)`,
        "    command menu is empty",
        "    fix: deno task telegram:webhook",
        "telegram staging (@StagingBot): 2 differences",
        `    no webhook is set (this gateway's is ${fn}/telegram/staging)`,
        "    command menu is empty",
        "    fix: deno task telegram:webhook --bot staging",
        `discord default (app ${APPS.default}): 2 differences`,
        `    no interactions endpoint URL is set (this gateway's is ${fn}/discord)`,
        "    no commands are registered",
        "    fix: deno task discord:register --endpoint",
        "    fix: deno task discord:register",
        `discord staging (app ${APPS.staging}): 2 differences`,
        `    no interactions endpoint URL is set (this gateway's is ${fn}/discord/staging)`,
        "    no commands are registered",
        "    fix: deno task discord:register --bot staging --endpoint",
        "    fix: deno task discord:register --bot staging",
      ]);
    });
    await t.step(
      "after telegram:webhook --all and discord:register --all --endpoint: ok",
      async () => {
        const quiet = () => {};
        assertEquals(await telegramWebhook(["--all"], env, quiet), 0);
        // Discord accepts each endpoint only once the gateway answered its signed PINGs.
        await registerCommands({ args: ["--all", "--endpoint"], env, print: quiet });
        assertEquals(await run([]), { code: 0, lines: ok });
      },
    );
    await t.step("a webhook pointed elsewhere: exactly that bot, exit 1", async () => {
      await tgCall(TG.staging, "setWebhook", { url: "https://elsewhere.example/hook" });
      const { code, lines } = await run([]);
      assertEquals(code, 1);
      assertEquals(lines, [
        ok[0],
        "telegram staging (@StagingBot): 1 difference",
        "    webhook points to https://elsewhere.example/hook, not to this gateway's " +
        `${fn}/telegram/staging`,
        "    fix: deno task telegram:webhook --bot staging",
        ok[2],
        ok[3],
      ]);
      assertEquals(await telegramWebhook(["--bot", "staging"], env, () => {}), 0);
      assertEquals((await run([])).code, 0);
    });
    await t.step("a stale command menu", async () => {
      await tgCall(TG.default, "setMyCommands", {
        commands: [{ command: "tasks", description: "Old" }],
      });
      const { code, lines } = await run(["--bot", "default"]);
      assertEquals(code, 1);
      assertEquals(lines.slice(0, 2), [
        "telegram default (@DefaultBot): 1 difference",
        lines[1],
      ]);
      assert(lines[1].startsWith("    command menu is stale: missing /"), lines[1]);
      assert(lines[1].endsWith("; description of /tasks differs"), lines[1]);
      assertEquals(lines.slice(2), ["    fix: deno task telegram:webhook", ok[2]]);
      await telegramWebhook([], env, () => {});
    });
    await t.step(
      "failing deliveries: reported while updates wait, a note once none do",
      async () => {
        const when = NOW / 1000 - 60;
        telegram.setWebhookStatus(TG.default, {
          pending_update_count: 3,
          last_error_date: when,
          last_error_message: "Wrong response from the webhook: 502 Bad Gateway",
        });
        const failing = await run(["--bot", "default"]);
        assertEquals(failing.code, 1);
        const iso = new Date(when * 1000).toISOString();
        assertEquals(failing.lines.slice(0, 2), [
          "telegram default (@DefaultBot): 1 difference",
          `    deliveries fail, last 60 s ago (${iso}): Wrong response from the webhook: 502 Bad ` +
          "Gateway; 3 updates waiting at Telegram (see the gateway's logs from then)",
        ]);
        telegram.setWebhookStatus(TG.default, { pending_update_count: 0 });
        const recovered = await run(["--bot", "default"]);
        assertEquals(recovered.code, 0);
        assertEquals(recovered.lines.slice(0, 2), [
          ok[0],
          `    note: last delivery error 60 s ago (${iso}): Wrong response from the webhook: 502 ` +
          "Bad Gateway; nothing waits at Telegram since",
        ]);
        telegram.setWebhookStatus(TG.default, { last_error_date: null, last_error_message: null });
      },
    );
    await t.step("a changed Discord command (an old registration)", async () => {
      const res = await fetch(`${apiBase}/applications/${APPS.staging}/commands`, {
        headers: { authorization: `Bot ${DC.staging}` },
      });
      const old = (await res.json() as { name: string; description: string }[])
        .map((c) => c.name === "tasks" ? { ...c, description: "List tasks (old)" } : c);
      const put = await fetch(`${apiBase}/applications/${APPS.staging}/commands`, {
        method: "PUT",
        headers: { authorization: `Bot ${DC.staging}`, "content-type": "application/json" },
        body: JSON.stringify(old),
      });
      assertEquals(put.status, 200);
      assertEquals(await run(["--bot", "staging"]), {
        code: 1,
        lines: [
          ok[1],
          `discord staging (app ${APPS.staging}): 1 difference`,
          "    registered commands are stale: /tasks (description) differs",
          "    fix: deno task discord:register --bot staging",
        ],
      });
      await registerCommands({ args: ["--bot", "staging"], env, print: () => {} });
      assertEquals((await run(["--bot", "staging"])).code, 0);
    });
    await t.step("another public key than Discord's; an app without a bot token", async () => {
      const [other, third] = [await discordKeys(), await discordKeys()];
      const apps = JSON.parse(env.DISCORD_APPS);
      const nobot = {
        name: "nobot",
        applicationId: "100000000000000103",
        publicKey: third.publicKeyHex,
      };
      const { code, lines } = await run([], {
        DISCORD_PUBLIC_KEY: other.publicKeyHex,
        DISCORD_APPS: JSON.stringify([...apps, nobot]),
      });
      assertEquals(code, 1);
      assertEquals(lines.slice(2), [
        `discord default (app ${APPS.default}): 1 difference`,
        `    public key differs from Discord's (${keys.publicKeyHex}): the gateway refuses every ` +
        "interaction of this application",
        ok[3],
        "discord nobot (app 100000000000000103): cannot check: no botToken",
      ]);
    });
    await t.step("a platform that refuses to answer: cannot check, exit 1", async () => {
      telegram.failNext("getWebhookInfo", { status: 401, description: "Unauthorized" });
      const { code, lines } = await run(["--bot", "staging"]);
      assertEquals(code, 1);
      assertEquals(
        lines[0],
        "telegram staging (@StagingBot): cannot check: Telegram answered: Unauthorized",
      );
      const revoked = await run(["--bot", "default"], { DISCORD_BOT_TOKEN: "revoked-token" });
      assertEquals(revoked.code, 1);
      assertEquals(
        revoked.lines[1],
        `discord default (app ${APPS.default}): cannot check: Discord answered: 401 401: Unauthorized`,
      );
    });
    await t.step("usage: an unknown bot or flag, no URL: exit 2", async () => {
      assertEquals(await run(["--bot", "prod"]), {
        code: 2,
        lines: [
          'error: no bot is named "prod" (Telegram: default, staging; Discord: default, staging).',
        ],
      });
      assertEquals((await run(["--all", "--bot", "staging"])).code, 2);
      assertEquals((await run(["--nope"])).code, 2);
      assertEquals(
        (await run([], { SUPABASE_URL: "" })).lines,
        ["error: set SUPABASE_URL or pass --url https://<project>.supabase.co/functions/v1/gateway."],
      );
    });
    await t.step("--url: the URLs expected are under it", async () => {
      const { code, lines } = await run([
        "--bot",
        "staging",
        "--url",
        "https://bots.example.com/fn",
      ]);
      assertEquals(code, 1);
      const url = "https://bots.example.com/fn";
      assertEquals(lines, [
        "telegram staging (@StagingBot): 1 difference",
        `    webhook points to ${fn}/telegram/staging, not to this gateway's ${url}/telegram/staging`,
        `    fix: deno task telegram:webhook --bot staging --url ${url}/telegram`,
        `discord staging (app ${APPS.staging}): 1 difference`,
        `    interactions endpoint URL is ${fn}/discord/staging, not this gateway's ` +
        `${url}/discord/staging`,
        `    fix: deno task discord:register --bot staging --endpoint --url ${url}/discord`,
      ]);
    });
    await t.step("no token or secret was printed", () => {
      const out = printed.join("\n");
      for (
        const secret of [...Object.values(TG), ...Object.values(TG_SECRETS), ...Object.values(DC)]
      ) {
        assert(!out.includes(secret), "a secret was printed");
      }
    });
  } finally {
    await served.core.drain();
    await server.shutdown();
  }
});
