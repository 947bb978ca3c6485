/**
 * What end users read about commands, in the syntax of the channel they read it on: Telegram
 * `/add <title>`, Discord `/add title:<title>`, HTTPS `POST /commands/add`. Commands and the
 * pipeline ask here instead of writing a channel's syntax themselves.
 */
import type { AnyCommand } from "./command.ts";
import type { Channel } from "./principal.ts";

/** The platform's name, as users know it. */
export const PLATFORM: Record<Channel, string> = {
  telegram: "Telegram",
  discord: "Discord",
  http: "HTTPS",
};

/** Telegram allows only a-z, 0-9 and _ in command names; registry names may use `-`. */
export function telegramName(name: string): string {
  return name.replaceAll("-", "_");
}

/** How a command is typed on `channel`, e.g. `/add <title>` or `/add title:<title>`. */
export function usage(command: AnyCommand, channel: Channel): string {
  const required = command.jsonSchema.required ?? [];
  const names = Object.keys(command.jsonSchema.properties);
  if (channel === "http") return `POST /commands/${command.name}`;
  const args = names.map((k) => {
    const slot = channel === "discord" ? `${k}:<${k}>` : `<${k}>`;
    return required.includes(k) ? ` ${slot}` : ` [${slot}]`;
  }).join("");
  const name = channel === "telegram" ? telegramName(command.name) : command.name;
  return `/${name}${args}`;
}

/** How to send a link code on `channel`. */
export function linkSyntax(channel: Channel, code = "<code>"): string {
  return channel === "discord" ? `/link code:${code}` : `/link ${code}`;
}

/** The steps to link, shown to unlinked chat users. */
export function howToLink(channel: Channel): string {
  return "To link it: sign in to the web app and create a link code " +
    `(it calls create_link_code), then send ${linkSyntax(channel)} here.`;
}

/** Shown when a chat account that is not linked uses a command that needs a user. */
export function notLinkedText(channel: Channel): string {
  if (channel === "http") {
    return "Sign in first: this command needs a signed-in user's access token " +
      "(Authorization: Bearer <access token>).";
  }
  return `This ${PLATFORM[channel]} account is not linked yet. ${howToLink(channel)}`;
}

/** Shown for a command name nobody defined (or one not offered on `channel`). */
export function unknownCommandText(channel: Channel, name: string): string {
  if (channel === "http") return `There is no command '${name}'. GET /commands lists them.`;
  return "Unknown command. Send /help to see what I can do.";
}
