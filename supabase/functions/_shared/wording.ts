/**
 * What end users read about commands, in the syntax of the channel they read it on: Telegram
 * `/add <title>`, Discord `/add title:<title>`, Slack `/add <title>` (with the app's command prefix,
 * `/acme-add <title>`), HTTPS `POST /commands/add`. Commands and the pipeline ask here instead of
 * writing a channel's syntax themselves.
 */
import type { AnyCommand } from "./command.ts";
import type { Channel } from "./principal.ts";

/** What end users are told about the app: its name and where they create a link code. */
export interface AppLinks {
  appName?: string;
  linkUrl?: string;
  /** The Telegram bots that link accounts (`/start <code>`, a deep link, or `/link <code>`). */
  telegram?: readonly TelegramLink[];
  /** Whether some Discord application links accounts (offers `/link`). */
  discord?: boolean;
  /** The Slack apps a link code can be sent to (`/<prefix>link <code>`). */
  slack?: readonly SlackLink[];
  /**
   * How the bot these words are for links an account: `link` (`/link <code>`), `start` (a
   * Telegram bot offering `/start` but not `/link`) or `none`; absent: `link`.
   */
  linkCommand?: "link" | "start" | "none";
  /**
   * Slack: what the app puts before every command name (`acme-` makes `/acme-tasks`), since
   * slash command names are global in a workspace. Empty or absent elsewhere.
   */
  commandPrefix?: string;
}

/** A Slack app by its route name and its command prefix. */
export interface SlackLink {
  name: string;
  commandPrefix: string;
}

/** A Telegram bot that links accounts: its route name, its username, how it takes a code. */
export interface TelegramLink {
  name: string;
  /** For `https://t.me/<username>?start=<code>`. */
  username: string;
  /** It offers `/start <code>` (and so a deep link). */
  start: boolean;
  /** It offers `/link <code>`. */
  link: boolean;
}

/** The platform's name, as users know it. */
export const PLATFORM: Record<Channel, string> = {
  telegram: "Telegram",
  discord: "Discord",
  slack: "Slack",
  http: "HTTPS",
};

/** Telegram allows only a-z, 0-9 and _ in command names; registry names may use `-`. */
export function telegramName(name: string): string {
  return name.replaceAll("-", "_");
}

/**
 * The command word typed on `channel`: `add`, Telegram's `link_code` for `link-code`, or on Slack
 * the app's prefix before the name (`acme-add`).
 */
export function commandWord(name: string, channel: Channel, prefix = ""): string {
  if (channel === "telegram") return telegramName(name);
  return channel === "slack" ? `${prefix}${name}` : name;
}

/**
 * How a command is typed on `channel`, e.g. `/add <title>` or `/add title:<title>`; `prefix` is a
 * Slack app's command prefix.
 */
export function usage(command: AnyCommand, channel: Channel, prefix = ""): string {
  const required = command.jsonSchema.required ?? [];
  const names = Object.keys(command.jsonSchema.properties);
  if (channel === "http") return `POST /commands/${command.name}`;
  const args = names.map((k) => {
    if (!required.includes(k)) return channel === "discord" ? ` [${k}:<${k}>]` : ` [${k}]`;
    return channel === "discord" ? ` ${k}:<${k}>` : ` <${k}>`;
  }).join("");
  return `/${commandWord(command.name, channel, prefix)}${args}`;
}

/** How to send a link code on `channel` (`prefix`: a Slack app's command prefix). */
export function linkSyntax(channel: Channel, code = "<code>", prefix = ""): string {
  if (channel === "discord") return `/link code:${code}`;
  return `/${commandWord("link", channel, prefix)} ${code}`;
}

/** Where the app is, in words: "Acme (https://acme.example/link)", or "the web app". */
export function appPlace(links: AppLinks): string {
  const name = links.appName ?? "the web app";
  return links.linkUrl ? `${name} (${links.linkUrl})` : name;
}

/**
 * The steps to link, shown to unlinked chat users, fitting what their bot offers: its own `/link`
 * (or a Telegram bot's `/start`), else the platform's bots that do link (a chat account is one
 * account for all the app's bots on its platform), else that none does.
 */
export function howToLink(channel: Channel, links: AppLinks): string {
  const steps = `sign in to ${appPlace(links)}, create a link code there`;
  const how = links.linkCommand ?? "link";
  if (how !== "none") {
    const syntax = how === "start"
      ? "/start <code>"
      : linkSyntax(channel, "<code>", links.commandPrefix);
    return `To link it: ${steps}, then send ${syntax} here.`;
  }
  const elsewhere = channel === "telegram"
    ? (links.telegram ?? []).map((b) => `${b.link ? "/link" : "/start"} <code> to @${b.username}`)
    : channel === "slack"
    ? (links.slack ?? []).map((a) => linkSyntax("slack", "<code>", a.commandPrefix))
    : links.discord
    ? [`${linkSyntax("discord")} to another of its Discord bots`]
    : [];
  if (!elsewhere.length) {
    return `This bot does not link accounts, and no other ${PLATFORM[channel]} bot of ` +
      `${links.appName ?? "the app"} does.`;
  }
  return `This bot does not link accounts: ${steps}, then send ${elsewhere.join(" or ")}.`;
}

/** Shown when a chat account that is not linked uses a command that needs a user. */
export function notLinkedText(channel: Channel, links: AppLinks): string {
  if (channel === "http") {
    return "Sign in first: this command needs a signed-in user's access token " +
      "(Authorization: Bearer <access token>).";
  }
  return `This ${PLATFORM[channel]} account is not linked yet. ${howToLink(channel, links)}`;
}

/** Shown for a command name nobody defined (or one not offered on `channel`). */
export function unknownCommandText(channel: Channel, name: string, prefix = ""): string {
  if (channel === "http") return `There is no command '${name}'. GET /commands lists them.`;
  return `Unknown command. Send /${commandWord("help", channel, prefix)} to see what I can do.`;
}

/**
 * A call of `command` on `channel` that shows a valid value for `field`: `/done 3`,
 * `/done id:3`, or `{"id":3}` (`prefix`: a Slack app's command prefix). Values come from the
 * schema's `examples` (zod `.meta()`), else
 * a plain one of the argument's type; undefined when the command has no such argument.
 */
export function example(
  command: AnyCommand,
  channel: Channel,
  field: string,
  value?: string | number | boolean,
  prefix = "",
): string | undefined {
  const shape = command.args.shape;
  if (!Object.hasOwn(shape, field)) return undefined;
  // Required as toJSONSchema counts it for input. With `value` given and nothing else required,
  // the call is built from the shape alone: a command's JSON Schema costs its first derivation a
  // few ms (a cold start's first `/tasks`, whose "more" line is such a call).
  const required = Object.keys(shape).filter((k) => shape[k]._zod.optin === undefined);
  const shown = Object.keys(shape).filter((k) => k === field || required.includes(k));
  const values = shown.map((k) =>
    [
      k,
      k === field && value !== undefined ? value : sampleValue(command.jsonSchema.properties[k]),
    ] as const
  );
  if (channel === "http") {
    return `POST /commands/${command.name} ${JSON.stringify(Object.fromEntries(values))}`;
  }
  const args = values.map(([k, v]) => channel === "discord" ? `${k}:${v}` : String(v));
  return [`/${commandWord(command.name, channel, prefix)}`, ...args].join(" ");
}

function sampleValue(
  prop: AnyCommand["jsonSchema"]["properties"][string],
): string | number | boolean {
  const given = (prop.examples as unknown[] | undefined)?.[0];
  if (typeof given === "string" || typeof given === "number" || typeof given === "boolean") {
    return given;
  }
  if (prop.enum?.length) return prop.enum[0];
  if (prop.type === "integer") return Math.max(1, Number(prop.minimum ?? 1));
  if (prop.type === "number") return Number(prop.minimum ?? 1);
  if (prop.type === "boolean") return true;
  return "text";
}
