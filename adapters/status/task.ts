/**
 * `deno task status [--local] [--bot NAME | --all] [--url URL]`: asks Telegram and Discord how
 * they see each bot and prints, per bot, what differs from what this gateway serves: a webhook or
 * interactions endpoint pointed elsewhere, a stale command menu or registration, failing
 * deliveries, a wrong key. One header line per bot ("telegram staging (@LocalStagingBot): ok",
 * "...: 2 differences"), then what differs and the task that fixes it. Default: every bot;
 * `--bot NAME`: the bots of that name (Telegram and Discord). The URLs expected are under
 * `$SUPABASE_URL/functions/v1/gateway`, or `--url URL` (the gateway function's URL, e.g. a custom
 * domain). Exit 0 when nothing differs, 1 when something does (or a platform could not be asked),
 * 2 for usage or settings. Bots are read as the gateway reads them; `--local` checks the running
 * local stack against its sinks. Fetching and printing only: the comparisons are in
 * `telegram.ts` and `discord.ts`. No token or secret is printed.
 */
import { parseArgs } from "node:util";
import {
  DEFAULT_BOT,
  type DiscordApp,
  discordApps,
  type TelegramBot,
  telegramBots,
} from "../../supabase/functions/_shared/bots.ts";
import type { AnyCommand } from "../../supabase/functions/_shared/command.ts";
import { commands as appCommands } from "../../supabase/functions/gateway/commands/mod.ts";
import { discordCommandsJson } from "../discord/commands_json.ts";
import { discordRequest, type DiscordRest, DiscordRestError } from "../discord/rest.ts";
import {
  botRoute,
  checkedUrl,
  functionUrl,
  getter,
  offeredCommands,
  readBots,
  redact,
  taskEnv,
  UsageError,
} from "../task_bots.ts";
import { ALLOWED_UPDATES, apiFor, telegramCommandMenu } from "../telegram/setup.ts";
import { type ApplicationSeen, discordDrift, type DiscordExpected } from "./discord.ts";
import { type BotStatus, differs, statusLines } from "./finding.ts";
import { telegramDrift, type TelegramExpected } from "./telegram.ts";

/** What the task needs; everything defaults to the real process. */
export interface StatusOptions {
  args: readonly string[];
  env: Record<string, string | undefined>;
  print?: (line: string) => void;
  commands?: readonly AnyCommand[];
  fetch?: typeof fetch;
  /** Milliseconds since the epoch (the age of Telegram's last error). */
  now?: () => number;
}

/** Runs the task; returns the exit code. */
export async function status(options: StatusOptions): Promise<number> {
  const print = options.print ?? ((line: string) => console.log(line));
  try {
    const flags = parseFlags(options.args);
    const get = getter(await taskEnv(options.env, flags.local));
    const telegram = readBots(() => telegramBots(get));
    const discord = readBots(() => discordApps(get));
    if (!telegram.length && !discord.length) {
      throw new UsageError(
        "no bot is configured: set TELEGRAM_BOT_TOKEN or TELEGRAM_BOTS, " +
          "DISCORD_PUBLIC_KEY or DISCORD_APPS.",
      );
    }
    const pick = <B extends { name: string }>(bots: B[]) =>
      flags.bot === undefined ? bots : bots.filter((b) => b.name === flags.bot);
    const [tg, dc] = [pick(telegram), pick(discord)];
    if (!tg.length && !dc.length) {
      const names = (bots: { name: string }[]) => bots.map((b) => b.name).join(", ") || "none";
      throw new UsageError(
        `no bot is named "${flags.bot}" (Telegram: ${names(telegram)}; Discord: ${
          names(discord)
        }).`,
      );
    }
    const gateway = flags.url ? checkedUrl("--url", flags.url) : functionUrl(get("SUPABASE_URL"));
    if (!gateway) {
      throw new UsageError(
        "set SUPABASE_URL or pass --url https://<project>.supabase.co/functions/v1/gateway.",
      );
    }
    const commands = options.commands ?? appCommands;
    // Expectations first: a bot naming an unknown command stops the run before any call.
    const checks = [
      ...tg.map((bot) => telegramCheck(bot, telegramExpected(bot, gateway, commands))),
      ...dc.map((app) => discordCheck(app, discordExpected(app, gateway, commands))),
    ];
    const now = options.now ?? Date.now;
    const results = await Promise.all(checks.map((check) => check(options.fetch, now)));
    for (const result of results) {
      for (const line of statusLines(result, { local: flags.local, url: flags.url && gateway })) {
        print(line);
      }
    }
    return results.some(differs) ? 1 : 0;
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    print(`error: ${err.message}`);
    return 2;
  }
}

type Check = (fetcher: typeof fetch | undefined, now: () => number) => Promise<BotStatus>;

/** The default bot is also served at `<route>/default`; the others at their route only. */
function routeAliases(base: string, name: string): string[] {
  return name === DEFAULT_BOT ? [`${base}/${DEFAULT_BOT}`] : [];
}

function telegramExpected(
  bot: TelegramBot,
  gateway: string,
  commands: readonly AnyCommand[],
): TelegramExpected {
  return {
    url: botRoute(`${gateway}/telegram`, bot.name),
    aliases: routeAliases(`${gateway}/telegram`, bot.name),
    allowedUpdates: ALLOWED_UPDATES,
    menu: telegramCommandMenu(offeredCommands("TELEGRAM_BOTS", "telegram", bot, commands)),
  };
}

function discordExpected(
  app: DiscordApp,
  gateway: string,
  commands: readonly AnyCommand[],
): DiscordExpected {
  return {
    applicationId: app.applicationId,
    publicKey: app.publicKey,
    endpointUrl: botRoute(`${gateway}/discord`, app.name),
    aliases: routeAliases(`${gateway}/discord`, app.name),
    commands: discordCommandsJson(offeredCommands("DISCORD_APPS", "discord", app, commands)),
  };
}

function telegramCheck(bot: TelegramBot, expected: TelegramExpected): Check {
  const title = `telegram ${bot.name} (@${bot.username})`;
  return async (fetcher, now) => {
    const api = apiFor({ botToken: bot.token, apiRoot: bot.apiRoot, fetch: fetcher });
    try {
      const [info, menu] = await Promise.all([api.getWebhookInfo(), api.getMyCommands()]);
      const findings = telegramDrift(expected, { info, menu }, Math.floor(now() / 1000));
      return { title, bot: bot.name, findings };
    } catch (err) {
      // grammY's errors carry Telegram's description; a network error's message may hold the URL.
      const description = (err as { description?: string }).description;
      const why = redact(
        description ? `Telegram answered: ${description}` : (err as Error).message,
        [bot.token, bot.webhookSecret],
      );
      return { title, bot: bot.name, findings: [], unchecked: { why, counts: true } };
    }
  };
}

function discordCheck(app: DiscordApp, expected: DiscordExpected): Check {
  const title = `discord ${app.name} (app ${app.applicationId})`;
  return async (fetcher) => {
    if (!app.botToken) {
      // Without it nothing can be asked; the gateway itself does not need one to answer.
      return {
        title,
        bot: app.name,
        findings: [],
        unchecked: { why: "no botToken", counts: false },
      };
    }
    const rest: DiscordRest = { apiBase: app.apiBase, botToken: app.botToken, fetch: fetcher };
    try {
      const application = await discordRequest<ApplicationSeen>(rest, "GET", "/applications/@me");
      const commands = application.id === app.applicationId
        ? await discordRequest<unknown[]>(
          rest,
          "GET",
          `/applications/${app.applicationId}/commands`,
        )
        : [];
      return { title, bot: app.name, findings: discordDrift(expected, { application, commands }) };
    } catch (err) {
      const message = redact((err as Error).message, [app.botToken]);
      const why = err instanceof DiscordRestError && err.status
        ? `Discord answered: ${message}`
        : message;
      return { title, bot: app.name, findings: [], unchecked: { why, counts: true } };
    }
  };
}

function parseFlags(args: readonly string[]) {
  let values;
  try {
    values = parseArgs({
      args: [...args],
      options: {
        local: { type: "boolean", default: false },
        bot: { type: "string" },
        all: { type: "boolean", default: false },
        url: { type: "string" },
      },
    }).values;
  } catch (err) {
    throw new UsageError(
      `${
        (err as Error).message
      } Usage: deno task status [--local] [--bot NAME | --all] [--url URL]`,
    );
  }
  if (values.bot !== undefined && values.all) {
    throw new UsageError("pass --bot NAME or --all, not both.");
  }
  return values;
}

if (import.meta.main) Deno.exit(await status({ args: Deno.args, env: Deno.env.toObject() }));
