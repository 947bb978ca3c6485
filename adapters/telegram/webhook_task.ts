/**
 * `deno task telegram:webhook [--local] [--bot NAME | --all] [--url URL] [--drop-pending-updates]
 * [--info]`: points each chosen bot's webhook at its route on the gateway, with its own secret and
 * the update types the gateway handles, and publishes its command menu (only the commands that
 * bot offers). No flag: the bot named `default` (the single-bot variables); `--bot NAME`: one bot;
 * `--all`: every bot. Bot `default`'s URL is `$SUPABASE_URL/functions/v1/gateway/telegram`, bot
 * NAME's is that plus `/NAME`. `--url URL` replaces the Telegram route: `default` gets URL
 * itself, bot NAME gets `URL/NAME`. `--info` prints getWebhookInfo instead (with `--all`, an
 * object keyed by bot name). Bots are read as the gateway reads them (TELEGRAM_BOT_TOKEN,
 * TELEGRAM_WEBHOOK_SECRET, TELEGRAM_BOT_USERNAME, TELEGRAM_API_ROOT, TELEGRAM_BOTS); no token or
 * secret is ever printed. `--local` takes all of it from the running local stack.
 */
import { parseArgs } from "node:util";
import type { AnyCommand } from "../../supabase/functions/_shared/command.ts";
import { type TelegramBot, telegramBots } from "../../supabase/functions/_shared/bots.ts";
import { commands as appCommands } from "../../supabase/functions/gateway/commands/mod.ts";
import {
  botRoute,
  checkedUrl,
  functionUrl,
  getter,
  offeredCommands,
  readBots,
  redact,
  selectBots,
  taskEnv,
  UsageError,
} from "../task_bots.ts";
import { configureWebhook, webhookInfo } from "./setup.ts";

/** Runs the task; returns the exit code (2: usage or settings, 1: Telegram refused). */
export async function main(
  args: string[],
  env: Record<string, string | undefined>,
  print: (line: string) => void = console.log,
  commands: readonly AnyCommand[] = appCommands,
): Promise<number> {
  try {
    return await run(args, env, print, commands);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    print(`error: ${err.message}`);
    return 2;
  }
}

async function run(
  args: string[],
  env: Record<string, string | undefined>,
  print: (line: string) => void,
  commands: readonly AnyCommand[],
): Promise<number> {
  const flags = parseFlags(args);
  const get = getter(await taskEnv(env, flags.local));
  const bots = readBots(() => telegramBots(get));
  if (!bots.length) {
    throw new UsageError("set TELEGRAM_BOT_TOKEN (from @BotFather), or TELEGRAM_BOTS.");
  }
  const chosen = selectBots(bots, flags, "Telegram bot");
  if (flags.info) return await printInfo(chosen, flags.all, print);
  const gateway = functionUrl(get("SUPABASE_URL"));
  const base = flags.url ? checkedUrl("--url", flags.url) : gateway && `${gateway}/telegram`;
  if (!base) {
    throw new UsageError(
      "pass --url https://<project>.supabase.co/functions/v1/gateway/telegram (or set SUPABASE_URL).",
    );
  }
  // Every bot's commands are checked before anything is set: a typo changes nothing anywhere.
  const menus = chosen.map((bot) => offeredCommands("TELEGRAM_BOTS", "telegram", bot, commands));
  let failed = 0;
  for (const [i, bot] of chosen.entries()) {
    try {
      const done = await configureWebhook({
        botToken: bot.token,
        apiRoot: bot.apiRoot,
        url: botRoute(base, bot.name),
        secret: bot.webhookSecret,
        dropPendingUpdates: flags["drop-pending-updates"],
        commands: menus[i],
      });
      const listed = done.commands.length ? `/${done.commands.join(", /")}` : "none";
      print(`${label(bot)}: webhook set to ${done.url}; commands: ${listed}`);
    } catch (err) {
      failed++;
      print(`error: ${label(bot)}: Telegram refused: ${refusal(err, bot)}`);
    }
  }
  return failed ? 1 : 0;
}

/** Prints getWebhookInfo: as is for one bot, keyed by bot name with `--all`. */
async function printInfo(
  bots: TelegramBot[],
  all: boolean,
  print: (line: string) => void,
): Promise<number> {
  const infos: Record<string, unknown> = {};
  for (const bot of bots) {
    try {
      infos[bot.name] = await webhookInfo({ botToken: bot.token, apiRoot: bot.apiRoot });
    } catch (err) {
      print(`error: ${label(bot)}: Telegram refused: ${refusal(err, bot)}`);
      return 1;
    }
  }
  print(JSON.stringify(all ? infos : infos[bots[0].name], null, 2));
  return 0;
}

function parseFlags(args: string[]) {
  try {
    return parseArgs({
      args,
      options: {
        url: { type: "string" },
        bot: { type: "string" },
        all: { type: "boolean", default: false },
        "drop-pending-updates": { type: "boolean", default: false },
        info: { type: "boolean", default: false },
        local: { type: "boolean", default: false },
      },
    }).values;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function label(bot: TelegramBot): string {
  return `${bot.name} (@${bot.username})`;
}

/** Telegram's description (grammY's errors name the method and it, never the token). */
function refusal(err: unknown, bot: TelegramBot): string {
  const description = (err as { description?: string }).description;
  return redact(description ?? (err as Error).message, [bot.token, bot.webhookSecret]);
}

if (import.meta.main) Deno.exit(await main(Deno.args, Deno.env.toObject()));
