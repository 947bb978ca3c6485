/** `deno task telegram:webhook` against the local Telegram sink. */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { main } from "../../adapters/telegram/webhook_task.ts";
import { telegramCommandMenu } from "../../adapters/telegram/setup.ts";
import { commands } from "../../supabase/functions/gateway/commands/mod.ts";
import { createDiscordSink, createTelegramSink, sinkMounts } from "../../dev/sinks/mod.ts";

Deno.test("telegram:webhook sets the webhook and the command menu", async (t) => {
  const telegram = createTelegramSink();
  const [mount] = sinkMounts(telegram, createDiscordSink());
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, mount.handler);
  const env = {
    TELEGRAM_BOT_TOKEN: "4242:SECRET_TOKEN_VALUE_abcdefghijklmnop",
    TELEGRAM_WEBHOOK_SECRET: "w".repeat(32),
    TELEGRAM_API_ROOT: `http://127.0.0.1:${server.addr.port}/__sinks/telegram`,
    SUPABASE_URL: "https://abc.supabase.co",
  };
  try {
    await t.step("sets both, printing no secret", async () => {
      const lines: string[] = [];
      assertEquals(await main(["--drop-pending-updates"], env, (l) => lines.push(l)), 0);
      const hook = telegram.calls("setWebhook")[0].params;
      assertEquals(hook.url, "https://abc.supabase.co/functions/v1/gateway/telegram");
      assertEquals(hook.secret_token, env.TELEGRAM_WEBHOOK_SECRET);
      assertEquals(hook.allowed_updates, ["message"]);
      assertEquals(hook.drop_pending_updates, true);
      const menu = telegram.calls("setMyCommands")[0].params.commands as { command: string }[];
      assertEquals(menu, telegramCommandMenu(commands), "the registry's Telegram menu");
      const out = lines.join("\n");
      assertMatch(out, /webhook set to https:\/\/abc\.supabase\.co/);
      assert(!out.includes("SECRET_TOKEN_VALUE") && !out.includes(env.TELEGRAM_WEBHOOK_SECRET));
    });
    await t.step("--info prints getWebhookInfo", async () => {
      const lines: string[] = [];
      assertEquals(await main(["--info"], env, (l) => lines.push(l)), 0);
      assertEquals(
        JSON.parse(lines.join("\n")).url,
        "https://abc.supabase.co/functions/v1/gateway/telegram",
      );
    });
    await t.step("missing settings: exit 2 with what to set", async () => {
      const lines: string[] = [];
      assertEquals(
        await main([], { ...env, TELEGRAM_WEBHOOK_SECRET: "" }, (l) => lines.push(l)),
        2,
      );
      assertMatch(lines[0], /TELEGRAM_WEBHOOK_SECRET/);
    });
    await t.step("a refusal from Telegram: exit 1 with its description", async () => {
      telegram.failNext("setWebhook", { status: 400, description: "Bad Request: bad webhook" });
      const lines: string[] = [];
      assertEquals(await main([], env, (l) => lines.push(l)), 1);
      assertMatch(lines[0], /bad webhook/);
    });
  } finally {
    await server.shutdown();
  }
});
