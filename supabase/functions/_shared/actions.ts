/**
 * Actions: buttons on a reply. An action is a label and a call of a registered command with its
 * arguments; pressing it is another way to send that command, run as the person who pressed it,
 * through the same pipeline as typing it (rate limit, ledger, RLS). Commands build actions with
 * {@link action}, which checks the arguments against the command's schema at once, so a bad
 * button is a bug a test meets, never a surprise at click time. A button built from data (a row's
 * id) uses {@link actionOrNull}: a value the schema refuses leaves that button out, never the
 * whole reply.
 *
 * On chat platforms an action travels as a short token (Telegram `callback_data`, at most 64
 * bytes; Discord `custom_id`, at most 100 characters): `<command>:<JSON args>~<MAC>`, the MAC an
 * HMAC-SHA256 (truncated to 96 bits) under a key derived from the gateway's service key. A token
 * that does not verify (forged, altered, from another deployment) runs nothing. Rotating the
 * service key makes the buttons already sent stop working (they say so).
 */
import type { AnyCommand } from "./command.ts";
import { hmacSha256 } from "./hmac.ts";

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
const MAC_BYTES = 12;
const MAC_CHARS = 16; // base64url of 12 bytes
const encoder = new TextEncoder();

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
  const size = encoder.encode(payload(built)).length + 1 + MAC_CHARS;
  if (size > ACTION_TOKEN_LIMIT) {
    return `/${command.name} takes ${size} bytes as a button; Telegram allows ${ACTION_TOKEN_LIMIT}.`;
  }
  return built;
}

function argsProblem(command: AnyCommand, args: Record<string, unknown>): string | undefined {
  const parsed = command.args.safeParse(args);
  if (parsed.success) return undefined;
  return `arguments for /${command.name} do not match its schema: ` +
    parsed.error.issues.map((i: { path: PropertyKey[]; message: string }) =>
      `${i.path.map(String).join(".") || "(arguments)"}: ${i.message}`
    ).join("; ");
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

/** `<command>:<args>` and, when something follows, `><command>:<args>`. */
function payload(call: ActionCall): string {
  // ">" only ever separates the two calls: inside the arguments' strings it is escaped.
  const one = (c: string, a: Record<string, unknown>) =>
    `${c}:${JSON.stringify(a).replaceAll(">", "\\u003e")}`;
  return one(call.command, call.args) +
    (call.then ? `>${one(call.then.command, call.then.args)}` : "");
}

function parseCall(text: string): { command: string; args: Record<string, unknown> } | null {
  const colon = text.indexOf(":");
  if (colon < 1) return null;
  try {
    const args = JSON.parse(text.slice(colon + 1));
    if (typeof args !== "object" || args === null || Array.isArray(args)) return null;
    return { command: text.slice(0, colon), args };
  } catch {
    return null;
  }
}

/** Encodes actions into tokens and checks tokens that come back. */
export interface ActionCodec {
  encode(action: Action): string;
  /** The call a token makes, or null when it does not verify or is malformed. */
  decode(token: unknown): ActionCall | null;
}

/** Builds the codec; the key is derived from `secret` (the service key) for this purpose only. */
export function createActionCodec(secret: string): ActionCodec {
  // The same key and tags as Web Crypto's HMAC gives (hmac.ts is checked against it), without
  // its ~30 µs of async overhead per call: a page of buttons signs 16 of them.
  const sign = hmacSha256(
    hmacSha256(encoder.encode(secret))(encoder.encode("gateway actions v1")),
  );
  const tag = new Uint8Array(32);
  const mac = (text: string) => base64url(sign(encoder.encode(text), tag).subarray(0, MAC_BYTES));
  return {
    encode(a) {
      const text = payload(a);
      return `${text}~${mac(text)}`;
    },
    decode(token) {
      // Ill-formed text is refused first: UTF-8 encodes every lone surrogate as U+FFFD, so one
      // swapped for U+FFFD would keep the MAC.
      if (typeof token !== "string" || token.length > 200 || !token.isWellFormed()) return null;
      const cut = token.lastIndexOf("~");
      if (cut < 0 || token.length - cut - 1 !== MAC_CHARS) return null;
      const text = token.slice(0, cut);
      if (!sameText(mac(text), token.slice(cut + 1))) return null;
      // Command names have no ">": the first one after the first call's arguments splits them.
      const split = text.search(/}>[a-z0-9_-]+:/);
      const first = parseCall(split < 0 ? text : text.slice(0, split + 1));
      if (!first) return null;
      if (split < 0) return first;
      const then = parseCall(text.slice(split + 2));
      return then ? { ...first, then } : null;
    },
  };
}

/** Compares two strings of equal length in time that depends on the length only. */
function sameText(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

function base64url(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
  return btoa(s).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}
