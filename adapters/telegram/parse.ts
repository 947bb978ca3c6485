/**
 * Telegram message text to command and arguments. `/add@ThisBot Buy milk` names the command
 * `add` with the rest of the line; `/x@OtherBot` is for another bot and ignored. Arguments are
 * read in the schema's order: the last string argument takes the rest of the line, the others one
 * word each, numbers and booleans coerced so zod can check them.
 */
import type { AnyCommand } from "../../supabase/functions/_shared/command.ts";
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

// The argument reading is shared with Slack's slash command text.
export { textArgs } from "../../supabase/functions/_shared/text_args.ts";

/** `/add <title>`-style usage for `command`. */
export function usage(command: AnyCommand): string {
  return channelUsage(command, "telegram");
}
