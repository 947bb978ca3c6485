/**
 * Slack apps in the bot registry: `SLACK_SIGNING_SECRET` (with `SLACK_BOT_TOKEN`,
 * `SLACK_API_BASE`, `SLACK_COMMAND_PREFIX`) is the app named `default`; `SLACK_APPS`, a JSON
 * array, adds more. Each app has its own signing secret (so one app's signature is refused on
 * another's route) and may prefix its slash commands: slash command names are global in a Slack
 * workspace, so two apps installed side by side need `/acme-tasks` and `/staging-tasks`. Errors
 * are one line naming the variable, the entry and the field, never a secret (as in `bots.ts`).
 */
import { ConfigError, secureBaseUrl } from "./config_values.ts";
import {
  type BotBase,
  botName,
  brand,
  DEFAULT_BOT,
  entries,
  type Entry,
  type Get,
  requiredBy,
  unique,
} from "./bots.ts";

/** A Slack app. */
export interface SlackApp extends BotBase {
  /**
   * Basic Information → App Credentials → Signing Secret: checks every request's signature.
   * Empty only where the apps were read for the manifest (`signingSecretRequired: false`).
   */
  signingSecret: string;
  /** The Bot User OAuth Token (`xoxb-…`): outgoing messages (direct messages). */
  botToken?: string;
  /** Slack's Web API (`https://slack.com/api`, or a local sink). */
  apiBase: string;
  /** Put before every registry name to make the slash command (`acme-` → `/acme-tasks`). */
  commandPrefix: string;
}

export const DEFAULT_SLACK_API_BASE = "https://slack.com/api";
/** Slack's own limit for a slash command, the slash included. */
export const SLACK_COMMAND_MAX = 32;
// Slack shows the signing secret as 32 hex digits; longer (or other) values are accepted.
const SIGNING_SECRET = /^[A-Za-z0-9]{24,128}$/;
// Bot tokens, also rotating ones (xoxe.xoxb-…); Slack asks clients to treat the rest as opaque.
const BOT_TOKEN = /^(?:xoxe\.)?xoxb-[\x21-\x7e]{8,}$/;
const PREFIX = /^[a-z0-9][a-z0-9_-]{0,19}$/;

const SECRET_TEXT = "must be the app's Signing Secret (Basic Information → App Credentials), " +
  "24-128 letters and digits";
const TOKEN_TEXT = "must be the app's Bot User OAuth Token (xoxb-…)";
const PREFIX_TEXT = "must be 1-20 characters of a-z, 0-9, _ and -, starting with a letter or " +
  "digit (e.g. acme- for /acme-tasks)";

/** How {@link slackApps} reads the variables. */
export interface SlackAppsOptions {
  /**
   * `false` for `slack:manifest`: the manifest is printed before the app exists, so before it has
   * a signing secret. The default app is then always there (from `SLACK_COMMAND_PREFIX` and the
   * like), entries of `SLACK_APPS` may leave `signingSecret` out, and an app without one has
   * `signingSecret: ""`; a secret given is still checked. Default `true`: the gateway's rules.
   */
  signingSecretRequired?: boolean;
}

/** Every Slack app: the default (single-app variables) first, then `SLACK_APPS`. */
export function slackApps(get: Get, options: SlackAppsOptions = {}): SlackApp[] {
  const required = options.signingSecretRequired ?? true;
  const apps: SlackApp[] = [];
  const secret = get("SLACK_SIGNING_SECRET");
  if (secret || !required) {
    if (secret && !SIGNING_SECRET.test(secret)) {
      throw new ConfigError(`SLACK_SIGNING_SECRET ${SECRET_TEXT}.`);
    }
    const token = get("SLACK_BOT_TOKEN");
    if (token !== undefined && !BOT_TOKEN.test(token)) {
      throw new ConfigError(`SLACK_BOT_TOKEN ${TOKEN_TEXT}.`);
    }
    const prefix = get("SLACK_COMMAND_PREFIX");
    if (prefix !== undefined && !PREFIX.test(prefix)) {
      throw new ConfigError(`SLACK_COMMAND_PREFIX ${PREFIX_TEXT}.`);
    }
    apps.push({
      name: DEFAULT_BOT,
      signingSecret: secret ?? "",
      botToken: token,
      apiBase: secureBaseUrl("SLACK_API_BASE", get("SLACK_API_BASE") ?? DEFAULT_SLACK_API_BASE),
      commandPrefix: prefix ?? "",
    });
  } else {
    requiredBy(get, "SLACK_SIGNING_SECRET", ["SLACK_BOT_TOKEN", "SLACK_COMMAND_PREFIX"]);
  }
  for (const entry of entries("SLACK_APPS", get("SLACK_APPS"))) {
    apps.push(slackApp(entry, required));
  }
  unique("SLACK_APPS", apps, [
    ["name", (a) => a.name, "is used by two apps (the single-app variables are named default)"],
    ["signingSecret", (a) => a.signingSecret || undefined, "is the signing secret of another app"],
    ["botToken", (a) => a.botToken, "is the bot token of another app"],
  ]);
  return apps;
}

function slackApp(entry: Entry, secretRequired: boolean): SlackApp {
  entry.only([
    "name",
    "signingSecret",
    "botToken",
    "apiBase",
    "commandPrefix",
    "commands",
    "appName",
    "linkUrl",
  ]);
  const name = botName(entry);
  const signingSecret = entry.text("signingSecret", secretRequired) ?? "";
  if ((signingSecret || secretRequired) && !SIGNING_SECRET.test(signingSecret)) {
    entry.fail("signingSecret", `${SECRET_TEXT}.`);
  }
  const botToken = entry.text("botToken");
  if (botToken !== undefined && !BOT_TOKEN.test(botToken)) entry.fail("botToken", `${TOKEN_TEXT}.`);
  const commandPrefix = entry.text("commandPrefix") ?? "";
  if (commandPrefix && !PREFIX.test(commandPrefix)) entry.fail("commandPrefix", `${PREFIX_TEXT}.`);
  return {
    name,
    signingSecret,
    botToken,
    apiBase: entry.parse(
      "apiBase",
      (f) => secureBaseUrl(f, entry.text(f) ?? DEFAULT_SLACK_API_BASE),
    ),
    commandPrefix,
    commands: entry.commands(),
    ...brand(entry),
  };
}

/**
 * Refuses an app whose prefixed slash commands Slack would not take (over 32 characters with the
 * slash), naming the variable, the app and the command. `names`: the registry names it offers.
 */
export function checkSlackCommandNames(app: SlackApp, names: readonly string[]): void {
  const where = app.name === DEFAULT_BOT
    ? "SLACK_COMMAND_PREFIX"
    : `SLACK_APPS entry "${app.name}": "commandPrefix"`;
  for (const name of names) {
    const command = `/${app.commandPrefix}${name}`;
    if (command.length > SLACK_COMMAND_MAX) {
      throw new ConfigError(
        `${where} makes ${command}, longer than Slack's ${SLACK_COMMAND_MAX} characters: ` +
          "choose a shorter prefix.",
      );
    }
  }
}
