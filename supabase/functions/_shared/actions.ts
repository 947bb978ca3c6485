/**
 * Actions: buttons on a reply. An action is a label and a call of a registered command with its
 * arguments; pressing it is another way to send that command, run as the person who pressed it,
 * through the same pipeline as typing it (rate limit, ledger, RLS). Commands build actions with
 * {@link action}, which checks the arguments against the command's schema at once, so a bad
 * button is a bug a test meets, never a surprise at click time. A button built from data (a row's
 * id) uses {@link actionOrNull}: a value the schema refuses leaves that button out, never the
 * whole reply.
 *
 * On chat platforms an action travels as a short signed token: see action_tokens.ts.
 */
import { payload, TOKEN_OVERHEAD } from "./action_tokens.ts";
import type { AnyCommand } from "./command.ts";

/** How a button looks where the platform has styles (Discord; Telegram ignores it). */
export type ActionStyle = "primary" | "secondary" | "success" | "danger";

/** A command call. */
export interface ActionCall {
  command: string;
  args: Record<string, unknown>;
  /**
   * A read-only command to run after this one succeeds (e.g. the list a "Done" was pressed
   * on): its reply, headed by this one's text, is what the presser sees.
   */
  then?: { command: string; args: Record<string, unknown> };
}

/** One button: a label and the command call it makes. */
export interface Action extends ActionCall {
  label: string;
  style?: ActionStyle;
}

/** What a presser reads when a button's token does not verify: nothing ran. */
export const INVALID_ACTION_TEXT = "This button is not valid (it was changed, or is from an " +
  "older version). Nothing was done.";

/** Buttons in rows, as shown under a reply. */
export type ActionRows = Action[][];

/** Telegram's limit for `callback_data`, in bytes: the tighter of the two platforms. */
export const ACTION_TOKEN_LIMIT = 64;
/** Most rows and buttons per row (Discord's limits: 5 rows of 5). */
export const MAX_ACTION_ROWS = 5;
export const MAX_ACTIONS_PER_ROW = 5;

/** Options of {@link action}: a style, and a read-only command to run after this one. */
export interface ActionOptions {
  style?: ActionStyle;
  then?: [AnyCommand, Record<string, unknown>];
}

/**
 * Builds an action calling `command` with `args`, checked against its schema now. Throws (a bug
 * in the command) when the arguments do not parse, the label is empty or too long, or the call
 * would not fit in a platform's button token. For a button built from data, use
 * {@link actionOrNull}.
 */
export function action(
  command: AnyCommand,
  args: Record<string, unknown>,
  label: string,
  options: ActionOptions = {},
): Action {
  const built = build(command, args, label, options);
  if (typeof built === "string") throw new Error(`Action "${label}": ${built}`);
  return built;
}

/**
 * {@link action} for a button built from data (a row's id, the next page number): the action, or
 * null when it cannot be built, so a value outside the command's schema leaves its button out
 * instead of failing the whole reply. `skipped` hears why, in words that name the command and the
 * rule broken but never the values or the label (they may be a user's data).
 */
export function actionOrNull(
  command: AnyCommand,
  args: Record<string, unknown>,
  label: string,
  options: ActionOptions & { skipped?: (reason: string) => void } = {},
): Action | null {
  const built = build(command, args, label, options);
  if (typeof built !== "string") return built;
  options.skipped?.(built);
  return null;
}

/** The action, or why it cannot be built (without values: see {@link actionOrNull}). */
function build(
  command: AnyCommand,
  args: Record<string, unknown>,
  label: string,
  options: ActionOptions,
): Action | string {
  const then = options.then;
  const problem = argsProblem(command, args) ??
    (then && !then[0].readOnly
      ? `only a read-only command can follow (/${then[0].name} is not).`
      : undefined) ??
    (then ? argsProblem(then[0], then[1]) : undefined) ??
    (!label.trim() || label.length > 40 ? "the label must be 1-40 characters." : undefined);
  if (problem) return problem;
  const built: Action = {
    label,
    command: command.name,
    args,
    ...(then ? { then: { command: then[0].name, args: then[1] } } : {}),
    ...(options.style ? { style: options.style } : {}),
  };
  const size = utf8Length(payload(built)) + TOKEN_OVERHEAD;
  if (size > ACTION_TOKEN_LIMIT) {
    return `/${command.name} takes ${size} bytes as a button; Telegram allows ${ACTION_TOKEN_LIMIT}.`;
  }
  return built;
}

/**
 * The UTF-8 size of `text` in bytes, without encoding it (a page of buttons measures 16 tokens;
 * TextEncoder would allocate each). A lone surrogate counts as U+FFFD (3), as TextEncoder makes it.
 */
export function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    bytes += c < 0x800 ? 1 : 2;
    // A surrogate pair is 4 bytes for its two code units: the low one adds nothing.
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
  }
  return bytes;
}

function argsProblem(command: AnyCommand, args: Record<string, unknown>): string | undefined {
  const parsed = command.args.safeParse(args);
  if (parsed.success) return undefined;
  return `arguments for /${command.name} do not match its schema: ` +
    parsed.error.issues.map((i: { path: PropertyKey[]; message: string }) =>
      `${i.path.map(String).join(".") || "(arguments)"}: ${i.message}`
    ).join("; ");
}

/**
 * The rows with only the buttons whose command `offered` accepts; a follow-on it does not accept
 * is dropped from its button (a press would not run it), and rows left empty go. The pipeline
 * applies it to every reply with what the delivery's channel and bot offer.
 */
export function offeredActions(
  rows: ActionRows,
  offered: (command: string) => boolean,
): ActionRows {
  return rows.map((row) =>
    row.filter((a) => offered(a.command)).map((a) => {
      if (!a.then || offered(a.then.command)) return a;
      const { then: _dropped, ...rest } = a;
      return rest;
    })
  ).filter((row) => row.length > 0);
}

/** Lays buttons out in rows of `perRow`, within the platforms' limits. */
export function rows(actions: Action[], perRow = MAX_ACTIONS_PER_ROW): ActionRows {
  const out: ActionRows = [];
  for (let i = 0; i < actions.length; i += perRow) out.push(actions.slice(i, i + perRow));
  if (out.length > MAX_ACTION_ROWS) {
    throw new Error(`At most ${MAX_ACTION_ROWS} rows of ${MAX_ACTIONS_PER_ROW} buttons.`);
  }
  return out;
}
