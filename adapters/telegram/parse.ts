/**
 * Telegram message text to command and arguments. `/add@ThisBot Buy milk` names the command
 * `add` with the rest of the line; `/x@OtherBot` is for another bot and ignored. Arguments are
 * read in the schema's order: the last string argument takes the rest of the line, the others one
 * word each, numbers and booleans coerced so zod can check them.
 */
import type { AnyCommand, PropertySchema } from "../../supabase/functions/_shared/command.ts";
import { usage as channelUsage } from "../../supabase/functions/_shared/wording.ts";

/** A command addressed to this bot. */
export interface CommandText {
  /** The name as typed, lower-cased, without the bot mention. */
  name: string;
  /** Everything after the command word, trimmed. */
  rest: string;
  /** Addressed to this bot by name (`/cmd@ThisBot`). */
  mentioned: boolean;
}

const COMMAND = /^\/([A-Za-z0-9_]{1,32})(?:@([A-Za-z0-9_]{1,64}))?(?:\s+([\s\S]*))?$/;

/**
 * The command in `text`, or null when the text is not a command for this bot (plain text, or a
 * command addressed to another bot).
 */
export function commandText(text: string, botUsername: string): CommandText | "other-bot" | null {
  const match = COMMAND.exec(text.trim());
  if (!match) return null;
  const [, name, mention, rest] = match;
  if (mention && mention.toLowerCase() !== botUsername.toLowerCase()) return "other-bot";
  return { name: name.toLowerCase(), rest: (rest ?? "").trim(), mentioned: Boolean(mention) };
}

export { telegramName } from "../../supabase/functions/_shared/wording.ts";

/**
 * Arguments for `command` from the text after the command word, for the schema to check, and any
 * words left over (a usage error).
 */
export function textArgs(
  command: AnyCommand,
  rest: string,
): { args: Record<string, unknown>; extra: string } {
  const props = Object.entries(command.jsonSchema.properties);
  const args: Record<string, unknown> = {};
  let remaining = rest.trim();
  props.forEach(([key, prop], index) => {
    if (!remaining) return;
    const last = index === props.length - 1;
    if (last && prop.type === "string") {
      args[key] = remaining;
      remaining = "";
      return;
    }
    const space = remaining.search(/\s/);
    const word = space === -1 ? remaining : remaining.slice(0, space);
    remaining = space === -1 ? "" : remaining.slice(space).trim();
    args[key] = coerce(word, prop);
  });
  return { args, extra: remaining };
}

function coerce(word: string, prop: PropertySchema): unknown {
  if (prop.type === "integer" || prop.type === "number") {
    const digits = word.replace(/^#/, ""); // "/done #5" reads like the task list shows it
    return /^-?\d+(\.\d+)?$/.test(digits) ? Number(digits) : word;
  }
  if (prop.type === "boolean") {
    const w = word.toLowerCase();
    if (["true", "yes", "on", "1"].includes(w)) return true;
    if (["false", "no", "off", "0"].includes(w)) return false;
  }
  return word;
}

/** `/add <title>`-style usage for `command`. */
export function usage(command: AnyCommand): string {
  return channelUsage(command, "telegram");
}
