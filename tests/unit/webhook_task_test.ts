/** `deno task telegram:webhook` against the local Telegram sink, for one bot and for several. */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { main } from "../../adapters/telegram/webhook_task.ts";
import { telegramCommandMenu } from "../../adapters/telegram/setup.ts";
import { commands } from "../../supabase/functions/gateway/commands/mod.ts";
import { createDiscordSink, createTelegramSink, sinkMounts } from "../../dev/sinks/mod.ts";

const DEFAULT_TOKEN = "4242:SECRET_TOKEN_VALUE_abcdefghijklmnop";
const STAGING = {
  name: "staging",
  token: "4343:STAGING_TOKEN_VALUE_abcdefghijklmnop",
  secret: "s".repeat(32),
  username: "StagingBot",
  commands: ["start", "help", "tasks"],
};

Deno.test("telegram:webhook sets the webhook and the command menu", async (t) => {
  const telegram = createTelegramSink();
  const [mount] = sinkMounts(telegram, createDiscordSink());
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, mount.handler);
  const apiRoot = `http://127.0.0.1:${server.addr.port}/__sinks/telegram`;
  const env = {
    TELEGRAM_BOT_TOKEN: DEFAULT_TOKEN,
    TELEGRAM_WEBHOOK_SECRET: "w".repeat(32),
    TELEGRAM_BOT_USERNAME: "DefaultBot",
    TELEGRAM_API_ROOT: apiRoot,
    TELEGRAM_BOTS: JSON.stringify([{ ...STAGING, apiRoot }]),
    SUPABASE_URL: "https://abc.supabase.co",
  };
  const all: string[] = [];
  const run = async (args: string[], over: Record<string, string> = {}) => {
    const lines: string[] = [];
    const code = await main(args, { ...env, ...over }, (l) => lines.push(l));
    all.push(...lines);
    return { code, lines };
  };
  const hookOf = (token: string) => telegram.calls("setWebhook").findLast((c) => c.token === token);
  const menuOf = (token: string) =>
    telegram.calls("setMyCommands").findLast((c) => c.token === token)?.params.commands;
  const stagingMenu = telegramCommandMenu(
    commands.filter((c) => STAGING.commands.includes(c.name)),
  );
  try {
    await t.step("no flag: the default bot, with button presses delivered", async () => {
      const { code, lines } = await run(["--drop-pending-updates"]);
      assertEquals(code, 0, lines.join("\n"));
      const hook = hookOf(DEFAULT_TOKEN)!.params;
      assertEquals(hook.url, "https://abc.supabase.co/functions/v1/gateway/telegram");
      assertEquals(hook.secret_token, env.TELEGRAM_WEBHOOK_SECRET);
      // The gateway answers button presses (callback_query): Telegram must deliver them.
      assertEquals(hook.allowed_updates, ["message", "callback_query"]);
      assertEquals(hook.drop_pending_updates, true);
      assertEquals(menuOf(DEFAULT_TOKEN), telegramCommandMenu(commands), "the registry's menu");
      assertEquals(hookOf(STAGING.token), undefined, "another bot is left alone");
      assertMatch(lines[0], /^default \(@DefaultBot\): webhook set to https:\/\/abc\.supabase\.co/);
    });
    await t.step("--bot staging: its route, its secret, only its commands", async () => {
      const { code, lines } = await run(["--bot", "staging"]);
      assertEquals(code, 0, lines.join("\n"));
      const hook = hookOf(STAGING.token)!.params;
      assertEquals(hook.url, "https://abc.supabase.co/functions/v1/gateway/telegram/staging");
      assertEquals(hook.secret_token, STAGING.secret);
      assertEquals(hook.allowed_updates, ["message", "callback_query"]);
      assertEquals(menuOf(STAGING.token), stagingMenu);
      assertEquals(lines, [
        "staging (@StagingBot): webhook set to " +
        "https://abc.supabase.co/functions/v1/gateway/telegram/staging; commands: /help, /tasks",
      ]);
    });
    await t.step("--all with --url: the default bot gets URL, the others URL/<name>", async () => {
      telegram.reset();
      const { code, lines } = await run(["--all", "--url", "https://bots.example.com/tg/"]);
      assertEquals(code, 0, lines.join("\n"));
      assertEquals(lines.length, 2);
      assertEquals(hookOf(DEFAULT_TOKEN)!.params.url, "https://bots.example.com/tg");
      assertEquals(hookOf(STAGING.token)!.params.url, "https://bots.example.com/tg/staging");
      assertEquals(menuOf(STAGING.token), stagingMenu);
    });
    await t.step("--info prints getWebhookInfo; with --all keyed by bot name", async () => {
      const one = await run(["--info"]);
      assertEquals(one.code, 0);
      assertEquals(JSON.parse(one.lines.join("\n")).url, "https://bots.example.com/tg");
      const both = await run(["--info", "--all"]);
      const infos = JSON.parse(both.lines.join("\n"));
      assertEquals(Object.keys(infos), ["default", "staging"]);
      assertEquals(infos.staging.url, "https://bots.example.com/tg/staging");
      assertEquals(infos.staging.allowed_updates, ["message", "callback_query"]);
    });
    await t.step("a name no bot has: exit 2 naming the configured ones", async () => {
      const calls = telegram.sent.length;
      assertEquals(await run(["--bot", "prod"]), {
        code: 2,
        lines: ['error: no Telegram bot is named "prod" (configured: default, staging).'],
      });
      assertEquals((await run(["--bot", "staging", "--all"])).code, 2);
      assertEquals(telegram.sent.length, calls, "nothing called");
    });
    await t.step("a bot offering an unknown command: exit 2, nothing set", async () => {
      const calls = telegram.sent.length;
      const bots = JSON.stringify([{ ...STAGING, apiRoot, commands: ["tasks", "taks"] }]);
      const { code, lines } = await run(["--all"], { TELEGRAM_BOTS: bots });
      assertEquals(code, 2);
      assertMatch(lines[0], /TELEGRAM_BOTS entry "staging": "commands" names "taks"/);
      assertEquals(telegram.sent.length, calls, "not even the default bot was set");
    });
    await t.step("missing settings: exit 2 with what to set", async () => {
      const { code, lines } = await run([], { TELEGRAM_WEBHOOK_SECRET: "" });
      assertEquals(code, 2);
      assertMatch(lines[0], /TELEGRAM_WEBHOOK_SECRET/);
      const none = await run([], {
        TELEGRAM_BOT_TOKEN: "",
        TELEGRAM_WEBHOOK_SECRET: "",
        TELEGRAM_BOT_USERNAME: "",
        TELEGRAM_BOTS: "",
      });
      assertEquals(none, {
        code: 2,
        lines: ["error: set TELEGRAM_BOT_TOKEN (from @BotFather), or TELEGRAM_BOTS."],
      });
    });
    await t.step(
      "a refusal from Telegram: exit 1 with its description; others still set",
      async () => {
        telegram.failNext("setWebhook", { status: 400, description: "Bad Request: bad webhook" });
        const { code, lines } = await run(["--all"]);
        assertEquals(code, 1);
        assertEquals(
          lines[0],
          "error: default (@DefaultBot): Telegram refused: Bad Request: bad webhook",
        );
        assertMatch(lines[1], /^staging \(@StagingBot\): webhook set to /);
      },
    );
    await t.step("no token or secret was ever printed", () => {
      const out = all.join("\n");
      for (
        const secret of [DEFAULT_TOKEN, STAGING.token, env.TELEGRAM_WEBHOOK_SECRET, STAGING.secret]
      ) {
        assert(!out.includes(secret) && !out.includes(secret.split(":").at(-1)!));
      }
    });
  } finally {
    await server.shutdown();
  }
});
