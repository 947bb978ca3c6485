/**
 * `deno task telegram:webhook [--local] [--url URL] [--drop-pending-updates] [--info]`: points the
 * bot's webhook at the gateway and publishes the command menu. The URL defaults to
 * `$SUPABASE_URL/functions/v1/gateway/telegram`. `--info` prints getWebhookInfo instead. Needs
 * TELEGRAM_BOT_TOKEN and TELEGRAM_WEBHOOK_SECRET (TELEGRAM_API_ROOT optional); never prints them.
 * `--local` takes all of them from the running local stack (its URL, its Telegram sink and its
 * local bot token and secret), so it needs no variables.
 */
import { parseArgs } from "node:util";
import { commands } from "../../supabase/functions/gateway/commands/mod.ts";
import { configureWebhook, webhookInfo } from "./setup.ts";

/** Runs the task; returns the exit code. Exported for tests. */
export async function main(
  args: string[],
  env: Record<string, string | undefined>,
  print: (line: string) => void = console.log,
): Promise<number> {
  let flags;
  try {
    flags = parseArgs({
      args,
      options: {
        url: { type: "string" },
        "drop-pending-updates": { type: "boolean", default: false },
        info: { type: "boolean", default: false },
        local: { type: "boolean", default: false },
      },
    }).values;
  } catch (err) {
    print(`error: ${(err as Error).message}`);
    return 2;
  }
  if (flags.local) {
    try {
      // Loaded only for --local: the dev stack is not part of what a deployment copies.
      const { localStackEnv } = await import("../../dev/local_stack.ts");
      env = { ...env, ...(await localStackEnv(env)) };
    } catch (err) {
      print(`error: ${(err as Error).message}`);
      return 2;
    }
  }
  const botToken = env.TELEGRAM_BOT_TOKEN?.trim();
  if (!botToken) {
    print("error: set TELEGRAM_BOT_TOKEN (from @BotFather)");
    return 2;
  }
  const apiRoot = (env.TELEGRAM_API_ROOT?.trim() || "https://api.telegram.org").replace(/\/+$/, "");
  try {
    if (flags.info) {
      print(JSON.stringify(await webhookInfo({ botToken, apiRoot }), null, 2));
      return 0;
    }
    const secret = env.TELEGRAM_WEBHOOK_SECRET?.trim();
    if (!secret) {
      print("error: set TELEGRAM_WEBHOOK_SECRET (the same value the gateway has)");
      return 2;
    }
    const base = env.SUPABASE_URL?.trim().replace(/\/+$/, "");
    const url = flags.url ?? (base ? `${base}/functions/v1/gateway/telegram` : undefined);
    if (!url) {
      print("error: pass --url https://<project>.supabase.co/functions/v1/gateway/telegram");
      return 2;
    }
    const done = await configureWebhook({
      botToken,
      apiRoot,
      url,
      secret,
      dropPendingUpdates: flags["drop-pending-updates"],
      commands,
    });
    print(`webhook set to ${done.url}; commands: /${done.commands.join(", /")}`);
    return 0;
  } catch (err) {
    // grammY's errors name the method and Telegram's description, never the token.
    const description = (err as { description?: string }).description;
    print(
      `error: Telegram refused: ${description ?? (err as Error).message.replace(botToken, "***")}`,
    );
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args, Deno.env.toObject()));
