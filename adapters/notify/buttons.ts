/**
 * A notification's buttons, checked as `action()` checks a reply's: each names a registered
 * command with arguments its schema accepts, fits in a button token, and is offered by the bot
 * that sends it. Pressing one is another way to send that command, run as the presser through
 * the pipeline like any button. Checked when a server enqueues (`POST /notify` answers 400) and
 * again when the drain sends. SQL (`gateway_notify`) applies the same rules where it can know them
 * (label length in UTF-16 units and not blank, a command's name, args, style, then); what needs
 * the registry (a registered command, its schema, the button's size, the bot offering it) is
 * checked at send time, and a button failing it makes its deliveries `failed`, saying so, rather
 * than a message without its buttons.
 */
import {
  action,
  type ActionRows,
  MAX_ACTION_ROWS,
  MAX_ACTIONS_PER_ROW,
} from "../../supabase/functions/_shared/actions.ts";
import type { BotScope } from "../../supabase/functions/_shared/bot.ts";
import type { AnyCommand, Registry } from "../../supabase/functions/_shared/command.ts";

const STYLES = new Set(["primary", "secondary", "success", "danger"]);

/**
 * The buttons in rows (a flat list is one row), or null for none. Throws an Error whose message
 * says which button is wrong and why.
 */
export function notificationButtons(
  registry: Registry,
  raw: unknown,
  bots: readonly BotScope[],
): ActionRows | null {
  if (raw === null || raw === undefined) return null;
  if (!Array.isArray(raw)) throw new Error("actions must be a list of buttons, or of rows of them");
  if (raw.length === 0) return null;
  const grid = (Array.isArray(raw[0]) ? raw : [raw]) as unknown[];
  if (grid.length > MAX_ACTION_ROWS) throw new Error("actions allow at most 5 rows of 5 buttons");
  return grid.map((row, r) => {
    if (!Array.isArray(row) || row.length === 0 || row.length > MAX_ACTIONS_PER_ROW) {
      throw new Error(`actions row ${r + 1} must hold 1 to 5 buttons`);
    }
    return row.map((item, i) => button(registry, item, `${r + 1}.${i + 1}`, bots));
  });
}

function button(registry: Registry, item: unknown, where: string, bots: readonly BotScope[]) {
  if (typeof item !== "object" || item === null || Array.isArray(item)) {
    throw new Error(`button ${where} must be an object {label, command, args}`);
  }
  const { label, command, args, style, then } = item as Record<string, unknown>;
  if (typeof label !== "string") throw new Error(`button ${where} needs a label`);
  const named = typeof command === "string" ? registry.get(command) : undefined;
  if (!named) throw new Error(`button ${where} ("${label}"): no command is named ${command}`);
  for (const bot of bots) {
    if (!bot.offers(named)) {
      throw new Error(
        `button ${where} ("${label}"): the ${bot.channel} bot '${bot.name}' does not offer ` +
          `/${named.name}`,
      );
    }
  }
  if (args !== undefined && args !== null && (typeof args !== "object" || Array.isArray(args))) {
    throw new Error(`button ${where} ("${label}"): args must be an object`);
  }
  // null is "no style", as for args and then (SQL's jsonb_build_object writes it so).
  if (style !== undefined && style !== null && (typeof style !== "string" || !STYLES.has(style))) {
    throw new Error(`button ${where} ("${label}"): style is one of ${[...STYLES].join(", ")}`);
  }
  let follow: [AnyCommand, Record<string, unknown>] | undefined;
  if (then !== undefined && then !== null) {
    const t = then as Record<string, unknown>;
    const next = typeof t.command === "string" ? registry.get(t.command) : undefined;
    if (!next) throw new Error(`button ${where} ("${label}"): then names no command`);
    follow = [next, (t.args ?? {}) as Record<string, unknown>];
  }
  try {
    return action(named, (args ?? {}) as Record<string, unknown>, label, {
      ...(style ? { style: style as "primary" } : {}),
      ...(follow ? { then: follow } : {}),
    });
  } catch (err) {
    throw new Error(`button ${where}: ${(err as Error).message}`);
  }
}
