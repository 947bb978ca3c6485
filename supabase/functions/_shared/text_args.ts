/**
 * Arguments typed after a command word, as chat platforms without typed options deliver them
 * (Telegram's `/add Buy milk`, Slack's slash command text): read in the schema's order, the last
 * string argument takes the rest of the line, the others one word each, numbers and booleans
 * coerced so zod can check them. What is left over is a usage error for the caller to report.
 */
import type { AnyCommand, PropertySchema } from "./command.ts";

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
