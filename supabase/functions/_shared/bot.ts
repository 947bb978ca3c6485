/**
 * A bot as the pipeline and the commands see it: which commands it offers and the words its users
 * read. Built once per configured bot when the core is built (so a request only looks its bot up
 * by name), and handed to the pipeline with every delivery that bot received.
 */
import { type BotBase, DEFAULT_BOT, type DiscordApp, type TelegramBot } from "./bots.ts";
import type { SlackApp } from "./bots_slack.ts";
import { type AnyCommand, listedOn, offeredOn, type Registry } from "./command.ts";
import type { GatewayConfig } from "./config.ts";
import type { Channel } from "./principal.ts";
import type { AppLinks, SlackLink, TelegramLink } from "./wording.ts";

/** One configured bot, resolved against the registry. */
export interface BotScope {
  channel: Exclude<Channel, "http">;
  /** The bot's route name (`default` for the single-bot variables). */
  name: string;
  /** Whether the bot offers `command` (its `commands` list, and the command's channels). */
  offers(command: AnyCommand): boolean;
  /** The commands this bot offers, in registry order (what its /help and menus list). */
  commands: readonly AnyCommand[];
  /** What this bot's users read about the app. */
  links: AppLinks;
}

/** The scopes of every configured bot, by channel and name. */
export interface BotScopes {
  get(channel: BotScope["channel"], name: string): BotScope | undefined;
  /** The app-wide words (HTTPS callers: every Telegram bot's deep link). */
  links: AppLinks;
}

/** Builds every bot's scope; the bots' `commands` must already be checked against the registry. */
export function createBotScopes(config: GatewayConfig, registry: Registry): BotScopes {
  /** Whether `bot` offers the registry's command `name` on `channel`. */
  const has = (bot: BotBase, channel: BotScope["channel"], name: string) => {
    const command = registry.get(name);
    return command !== undefined && offeredOn(command, channel) && offersName(bot, name);
  };
  const telegram: TelegramLink[] = config.telegramBots
    .map((bot) => ({
      name: bot.name,
      username: bot.username,
      start: has(bot, "telegram", "start"),
      link: has(bot, "telegram", "link"),
    }))
    .filter((bot) => bot.start || bot.link);
  const discord = config.discordApps.some((app) => has(app, "discord", "link"));
  const slack: SlackLink[] = config.slackApps
    .filter((app) => has(app, "slack", "link"))
    .map((app) => ({ name: app.name, commandPrefix: app.commandPrefix }));
  const links: AppLinks = {
    appName: config.appName,
    linkUrl: config.linkUrl,
    telegram,
    discord,
    ...(slack.length ? { slack } : {}),
  };
  const scopes = new Map<string, BotScope>();
  const add = (channel: BotScope["channel"], bot: TelegramBot | DiscordApp | SlackApp) => {
    const offered = offeredBy(bot, channel, registry);
    const names = new Set(offered.map((c) => c.name));
    scopes.set(`${channel}\n${bot.name}`, {
      channel,
      name: bot.name,
      offers: (command) => names.has(command.name) && registry.get(command.name) === command,
      commands: Object.freeze(offered),
      links: {
        appName: bot.appName ?? links.appName,
        linkUrl: bot.linkUrl ?? links.linkUrl,
        telegram,
        discord,
        ...(slack.length ? { slack } : {}),
        linkCommand: has(bot, channel, "link")
          ? "link"
          : channel === "telegram" && has(bot, channel, "start")
          ? "start"
          : "none",
        ...("commandPrefix" in bot && bot.commandPrefix
          ? { commandPrefix: bot.commandPrefix }
          : {}),
      },
    });
  };
  for (const bot of config.telegramBots) add("telegram", bot);
  for (const app of config.discordApps) add("discord", app);
  for (const app of config.slackApps) add("slack", app);
  return {
    get: (channel, name) => scopes.get(`${channel}\n${name}`),
    links,
  };
}

/**
 * The commands `bot` offers on `channel`, in registry order: its `commands` list (all when absent)
 * and each command's channels. The setup tasks use it for the menu and the registration.
 */
export function offeredBy(
  bot: BotBase,
  channel: BotScope["channel"],
  registry: Pick<Registry, "list">,
): AnyCommand[] {
  return registry.list().filter((c) => offeredOn(c, channel) && offersName(bot, c.name));
}

/** Whose button tokens a bot signs and checks: see {@link buttonScope}. */
export interface ButtonScope {
  /** The key scope: the bot's platform id (a Slack app's name). */
  scope: string;
  /** Tokens from before key ids verify too: the default Telegram bot and Discord app only. */
  legacy: boolean;
}

/**
 * The one place that says which key a bot signs its buttons with, or undefined when no such bot
 * is configured: a key derived for the bot alone, named by its platform id (`telegram:<bot id>`,
 * `discord:<application id>`; a Slack app, configured without its id, by name: `slack:<name>`).
 * So a button of one bot runs nothing on any other, the default bots of two platforms included,
 * and a Telegram or Discord bot keeps its buttons when it is renamed or becomes the default. The
 * default Telegram bot and Discord application also accept tokens from before key ids, which were
 * signed alike for both.
 */
export function buttonScope(
  config: Pick<GatewayConfig, "telegramBots" | "discordApps" | "slackApps">,
  channel: BotScope["channel"],
  name: string,
): ButtonScope | undefined {
  const id = channel === "telegram"
    ? config.telegramBots.find((b) => b.name === name)?.botId
    : channel === "discord"
    ? config.discordApps.find((a) => a.name === name)?.applicationId
    : config.slackApps.find((a) => a.name === name)?.name;
  if (id === undefined) return undefined;
  return { scope: `${channel}:${id}`, legacy: channel !== "slack" && name === DEFAULT_BOT };
}

/** Whether a bot's `commands` list (all when absent) names `name`. */
function offersName(bot: BotBase, name: string): boolean {
  return !bot.commands || bot.commands.includes(name);
}

/** The commands a bot lists (help, menus, registration): offered by it and not hidden. */
export function listedBy(scope: BotScope): AnyCommand[] {
  return listedOn(scope.commands, scope.channel);
}
