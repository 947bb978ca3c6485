/**
 * The bot registry's configuration: every chat bot the gateway serves, per platform, read once
 * from the environment. The single-bot variables (`TELEGRAM_BOT_TOKEN`, `DISCORD_PUBLIC_KEY`, ...)
 * are the bot named `default`; `TELEGRAM_BOTS` and `DISCORD_APPS` declare more, as JSON arrays
 * (they fit Supabase secrets). A bot's name is its route (`/telegram/<name>`). A malformed entry
 * stops start-up with one line naming the variable, the entry and the field, never a secret.
 * Everything here is synchronous and pure: the setup tasks read bots the same way the gateway does.
 */
import { ConfigError, displayName, pageUrl, secureBaseUrl } from "./config_values.ts";

/** What every bot has, whatever its platform. */
export interface BotBase {
  /** Route name: `[a-z0-9][a-z0-9-]{0,31}`; `default` for the single-bot variables. */
  name: string;
  /** Registry names the bot offers; all when absent (checked against the registry at start). */
  commands?: readonly string[];
  /** The app's name as this bot's users know it (else `GATEWAY_APP_NAME`). */
  appName?: string;
  /** Where this bot's users create a link code (else `GATEWAY_LINK_URL`). */
  linkUrl?: string;
}

/** A Telegram bot. */
export interface TelegramBot extends BotBase {
  token: string;
  /** The numeric bot id: the part of the token before the colon. */
  botId: number;
  username: string;
  webhookSecret: string;
  apiRoot: string;
}

/** A Discord application. */
export interface DiscordApp extends BotBase {
  applicationId: string;
  publicKey: string;
  /** Needed for registration and direct messages only. */
  botToken?: string;
  apiBase: string;
}

/** The name of the bot the single-bot variables configure. */
export const DEFAULT_BOT = "default";
export const BOT_NAME = /^[a-z0-9][a-z0-9-]{0,31}$/;
export const DEFAULT_TELEGRAM_API_ROOT = "https://api.telegram.org";
export const DEFAULT_DISCORD_API_BASE = "https://discord.com/api/v10";

/** Reads one variable (trimmed, undefined when empty). */
export type Get = (name: string) => string | undefined;

/** One entry of a `*_BOTS` / `*_APPS` array, with errors that name it. */
export class Entry {
  constructor(
    readonly variable: string,
    readonly label: string,
    private readonly fields: Record<string, unknown>,
  ) {}

  fail(field: string, why: string): never {
    throw new ConfigError(`${this.variable} ${this.label}: "${field}" ${why}`);
  }

  /** A string field, trimmed; undefined when absent (unless required). */
  text(field: string, required = false): string | undefined {
    const value = this.fields[field];
    if (value === undefined || value === null || value === "") {
      if (required) this.fail(field, "is required.");
      return undefined;
    }
    if (typeof value !== "string") this.fail(field, "must be a string.");
    return value.trim();
  }

  /** Runs a single-value parser whose ConfigError names a variable; renames it to this field. */
  parse<T>(field: string, parse: (name: string) => T): T {
    try {
      return parse(field);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      // The parsers say "<name> must ...": keep their reason, name the entry and field instead.
      const reason = err.message.startsWith(`${field} `)
        ? err.message.slice(field.length + 1)
        : err.message;
      return this.fail(field, reason);
    }
  }

  commands(): string[] | undefined {
    const value = this.fields.commands;
    if (value === undefined || value === null) return undefined;
    if (!Array.isArray(value) || value.some((c) => typeof c !== "string" || !c)) {
      this.fail("commands", "must be an array of command names.");
    }
    // A bot that offers nothing answers every message "Unknown command": surely a mistake.
    if (value.length === 0) {
      this.fail("commands", "is empty: list at least one command, or leave it out for all.");
    }
    return [...new Set(value as string[])];
  }

  /** Fields this platform does not know: most likely a typo, so refused. */
  only(known: readonly string[]): void {
    for (const key of Object.keys(this.fields)) {
      if (!known.includes(key)) {
        this.fail(key, `is not a field of ${this.variable} entries (${known.join(", ")}).`);
      }
    }
  }
}

/** The entries of a JSON array variable, each labelled for error messages. */
export function entries(variable: string, text: string | undefined): Entry[] {
  if (text === undefined) return [];
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ConfigError(`${variable} is not valid JSON: expected an array of objects.`);
  }
  if (!Array.isArray(value)) {
    throw new ConfigError(`${variable} must be a JSON array of objects: [{"name":"...",...}].`);
  }
  return value.map((item, i) => {
    const named = typeof item === "object" && item !== null && !Array.isArray(item)
      ? (item as Record<string, unknown>)
      : undefined;
    const name = typeof named?.name === "string" ? named.name : undefined;
    const label = `entry ${i + 1}` + (name && BOT_NAME.test(name) ? ` ("${name}")` : "");
    if (!named) throw new ConfigError(`${variable} ${label} must be a JSON object.`);
    return new Entry(variable, label, named);
  });
}

/** A bot name, checked to be route-safe. */
export function botName(entry: Entry): string {
  const name = entry.text("name", true)!;
  if (!BOT_NAME.test(name)) {
    entry.fail(
      "name",
      "must be 1-32 characters of a-z, 0-9 and -, starting with a letter or digit.",
    );
  }
  return name;
}

/** An entry's `appName` and `linkUrl`, checked. */
export function brand(entry: Entry) {
  return {
    appName: entry.parse("appName", (f) => displayName(f, entry.text(f))),
    linkUrl: entry.parse("linkUrl", (f) => pageUrl(f, entry.text(f))),
  };
}

const TELEGRAM_TOKEN = /^(\d{1,20}):[A-Za-z0-9_-]{20,}$/;
/** Why a token's bot id cannot be used, or undefined: ids are numbers, exact below 2^53. */
const botIdProblem = (id: string) =>
  Number.isSafeInteger(Number(id)) ? undefined : "is malformed: its bot id is too large.";
// Telegram allows 1-256 characters A-Z, a-z, 0-9, _ and -; we ask for enough to resist guessing.
const TELEGRAM_SECRET = /^[A-Za-z0-9_-]{24,256}$/;
const TELEGRAM_USERNAME = /^[A-Za-z][A-Za-z0-9_]{3,31}$/;

/** Every Telegram bot: the default (single-bot variables) first, then `TELEGRAM_BOTS`. */
export function telegramBots(get: Get): TelegramBot[] {
  const bots: TelegramBot[] = [];
  const token = get("TELEGRAM_BOT_TOKEN");
  if (token) {
    const match = TELEGRAM_TOKEN.exec(token);
    if (!match) {
      throw new ConfigError(
        "TELEGRAM_BOT_TOKEN is malformed: expected '<bot id>:<secret>' as given by @BotFather.",
      );
    }
    const idProblem = botIdProblem(match[1]);
    if (idProblem) throw new ConfigError(`TELEGRAM_BOT_TOKEN ${idProblem}`);
    const secret = get("TELEGRAM_WEBHOOK_SECRET");
    if (!secret) {
      throw new ConfigError(
        "TELEGRAM_WEBHOOK_SECRET is not set: it is required when TELEGRAM_BOT_TOKEN is set.",
      );
    }
    if (!TELEGRAM_SECRET.test(secret)) {
      throw new ConfigError(
        "TELEGRAM_WEBHOOK_SECRET must be 24-256 characters of A-Z, a-z, 0-9, _ or -.",
      );
    }
    const username = get("TELEGRAM_BOT_USERNAME")?.replace(/^@/, "");
    if (!username) {
      throw new ConfigError(
        "TELEGRAM_BOT_USERNAME is not set: it is required when TELEGRAM_BOT_TOKEN is set.",
      );
    }
    if (!TELEGRAM_USERNAME.test(username)) {
      throw new ConfigError("TELEGRAM_BOT_USERNAME is not a Telegram bot username.");
    }
    bots.push({
      name: DEFAULT_BOT,
      token,
      botId: Number(match[1]),
      username,
      webhookSecret: secret,
      apiRoot: secureBaseUrl(
        "TELEGRAM_API_ROOT",
        get("TELEGRAM_API_ROOT") ?? DEFAULT_TELEGRAM_API_ROOT,
      ),
    });
  } else {
    requiredBy(get, "TELEGRAM_BOT_TOKEN", ["TELEGRAM_WEBHOOK_SECRET", "TELEGRAM_BOT_USERNAME"]);
  }
  for (const entry of entries("TELEGRAM_BOTS", get("TELEGRAM_BOTS"))) {
    entry.only([
      "name",
      "token",
      "secret",
      "username",
      "apiRoot",
      "commands",
      "appName",
      "linkUrl",
    ]);
    const name = botName(entry);
    const token = entry.text("token", true)!;
    const match = TELEGRAM_TOKEN.exec(token) ??
      entry.fail("token", "is malformed: expected '<bot id>:<secret>' from @BotFather.");
    const idProblem = botIdProblem(match[1]);
    if (idProblem) entry.fail("token", idProblem);
    const secret = entry.text("secret", true)!;
    if (!TELEGRAM_SECRET.test(secret)) {
      entry.fail("secret", "must be 24-256 characters of A-Z, a-z, 0-9, _ or -.");
    }
    const username = entry.text("username", true)!.replace(/^@/, "");
    if (!TELEGRAM_USERNAME.test(username)) {
      entry.fail("username", "is not a Telegram bot username.");
    }
    bots.push({
      name,
      token,
      botId: Number(match[1]),
      username,
      webhookSecret: secret,
      apiRoot: entry.parse(
        "apiRoot",
        (f) => secureBaseUrl(f, entry.text(f) ?? DEFAULT_TELEGRAM_API_ROOT),
      ),
      commands: entry.commands(),
      ...brand(entry),
    });
  }
  unique("TELEGRAM_BOTS", bots, [
    ["name", (b) => b.name, "is used by two bots (the single-bot variables are named default)"],
    ["token", (b) => String(b.botId), "names a bot (by its id) that another entry names too"],
    // Telegram usernames ignore case: @AcmeBot and @acmebot are one bot.
    ["username", (b) => b.username.toLowerCase(), "is the username of another bot"],
    ["secret", (b) => b.webhookSecret, "is the webhook secret of another bot: give each its own"],
  ]);
  return bots;
}

const PUBLIC_KEY = /^[0-9a-fA-F]{64}$/;
const SNOWFLAKE = /^\d{15,21}$/;

/** Every Discord application: the default (single-app variables) first, then `DISCORD_APPS`. */
export function discordApps(get: Get): DiscordApp[] {
  const apps: DiscordApp[] = [];
  const publicKey = get("DISCORD_PUBLIC_KEY");
  if (publicKey) {
    if (!PUBLIC_KEY.test(publicKey)) {
      throw new ConfigError(
        "DISCORD_PUBLIC_KEY must be the 64 hex characters shown on the application's page.",
      );
    }
    const applicationId = get("DISCORD_APPLICATION_ID");
    if (!applicationId) {
      throw new ConfigError(
        "DISCORD_APPLICATION_ID is not set: it is required when DISCORD_PUBLIC_KEY is set.",
      );
    }
    if (!SNOWFLAKE.test(applicationId)) {
      throw new ConfigError("DISCORD_APPLICATION_ID must be the application's numeric id.");
    }
    apps.push({
      name: DEFAULT_BOT,
      applicationId,
      publicKey: publicKey.toLowerCase(),
      botToken: get("DISCORD_BOT_TOKEN"),
      apiBase: secureBaseUrl(
        "DISCORD_API_BASE",
        get("DISCORD_API_BASE") ?? DEFAULT_DISCORD_API_BASE,
      ),
    });
  } else {
    requiredBy(get, "DISCORD_PUBLIC_KEY", ["DISCORD_APPLICATION_ID", "DISCORD_BOT_TOKEN"]);
  }
  for (const entry of entries("DISCORD_APPS", get("DISCORD_APPS"))) {
    entry.only([
      "name",
      "applicationId",
      "publicKey",
      "botToken",
      "apiBase",
      "commands",
      "appName",
      "linkUrl",
    ]);
    const name = botName(entry);
    const applicationId = entry.text("applicationId", true)!;
    if (!SNOWFLAKE.test(applicationId)) {
      entry.fail("applicationId", "must be the application's numeric id.");
    }
    const key = entry.text("publicKey", true)!;
    if (!PUBLIC_KEY.test(key)) {
      entry.fail("publicKey", "must be the 64 hex characters shown on the application's page.");
    }
    apps.push({
      name,
      applicationId,
      publicKey: key.toLowerCase(),
      botToken: entry.text("botToken"),
      apiBase: entry.parse(
        "apiBase",
        (f) => secureBaseUrl(f, entry.text(f) ?? DEFAULT_DISCORD_API_BASE),
      ),
      commands: entry.commands(),
      ...brand(entry),
    });
  }
  unique("DISCORD_APPS", apps, [
    ["name", (a) => a.name, "is used by two applications (the single-app variables are default)"],
    ["applicationId", (a) => a.applicationId, "is configured twice"],
    ["publicKey", (a) => a.publicKey, "is the public key of another application"],
    // A bot token is one application's: shared, registration would overwrite one with the other.
    ["botToken", (a) => a.botToken, "is the bot token of another application"],
  ]);
  return apps;
}

/**
 * Refuses a variable set without the one that switches its bot on (a webhook secret without the
 * bot token): the bot would be silently off.
 */
export function requiredBy(get: Get, main: string, others: readonly string[]): void {
  for (const other of others) {
    if (get(other) !== undefined) {
      throw new ConfigError(`${main} is not set: it is required when ${other} is set.`);
    }
  }
}

/**
 * Refuses two bots sharing what must be theirs alone; names the second one and the field (a value
 * of undefined is shared by nobody).
 */
export function unique<B extends BotBase>(
  variable: string,
  bots: readonly B[],
  checks: [field: string, value: (bot: B) => string | undefined, why: string][],
): void {
  for (const [field, value, why] of checks) {
    const seen = new Map<string, string>();
    for (const bot of bots) {
      const v = value(bot);
      if (v === undefined) continue;
      const first = seen.get(v);
      if (first !== undefined) {
        throw new ConfigError(`${variable} entry "${bot.name}": "${field}" ${why} ("${first}").`);
      }
      seen.set(v, bot.name);
    }
  }
}

/**
 * Checks each bot's `commands` against the registry: a name no command has, or a command the
 * platform does not offer, stops start-up (most likely a typo that would silently hide it).
 */
export function checkBotCommands(
  variable: string,
  channel: "telegram" | "discord" | "slack",
  bots: readonly BotBase[],
  registry: { get(name: string): { channels?: readonly string[] } | undefined },
): void {
  for (const bot of bots) {
    for (const name of bot.commands ?? []) {
      const command = registry.get(name);
      const why = !command
        ? "which no command has"
        : command.channels && !command.channels.includes(channel)
        ? `which is not offered on ${channel[0].toUpperCase()}${channel.slice(1)}`
        : undefined;
      if (why) {
        throw new ConfigError(
          `${variable} entry "${bot.name}": "commands" names "${name}", ${why}.`,
        );
      }
    }
  }
}
