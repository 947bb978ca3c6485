/**
 * Button tokens: the signed form an action travels in on chat platforms (Telegram
 * `callback_data`, at most 64 bytes; Discord `custom_id`, at most 100 characters), and the check
 * of a pressed one.
 *
 * A token is `<command>:<JSON args>[><command>:<JSON args>]~<key id><MAC>`. The key id (two
 * base64url characters) names the service key that signed it; the MAC is an HMAC-SHA256,
 * truncated to 96 bits (16 characters), over everything before it, under a key derived from that
 * service key for this purpose only. New tokens are signed with the current key; a pressed one
 * verifies under the configured key its id names. So during a key rotation (old and new keys
 * both configured) the buttons already sent keep working, and once the old key is removed they
 * stop (and say so). A token that does not verify (forged, altered, from another deployment)
 * runs nothing. Every bot signs with keys derived for it alone (`scope`), so its tokens run
 * nothing on another bot. Tokens from before key ids (`<calls>~<MAC>`, the MAC over the calls
 * alone under the "v1" key, which was the same for every bot) still verify where `legacy` is set:
 * on the default Telegram bot and the default Discord application, the only bots that sent them.
 */
import type { Action, ActionCall } from "./actions.ts";
import { hmacSha256 } from "./hmac.ts";

const KID_CHARS = 2;
const MAC_BYTES = 12;
const MAC_CHARS = 16; // base64url of 12 bytes
/** What a token adds to its calls, in bytes: "~", the key id and the MAC. */
export const TOKEN_OVERHEAD = 1 + KID_CHARS + MAC_CHARS;
const encoder = new TextEncoder();
/** Tokens kept per codec for reuse (about 100 bytes each). */
const MADE_KEPT = 4096;

/** Encodes actions into tokens and checks tokens that come back. */
export interface ActionCodec {
  encode(action: Action): string;
  /** The call a token makes, or null when it does not verify or is malformed. */
  decode(token: unknown): ActionCall | null;
}

/** What the codec is built from. An object, so that what it grows (a scope) is a new field. */
export interface ActionCodecOptions {
  /**
   * The service keys, the current one first: it signs new tokens; each verifies the tokens it
   * signed (every key the environment gives, so a rotation's old and new keys overlap).
   */
  keys: readonly string[];
  /**
   * The bot the tokens are for (e.g. `telegram:<bot id>`, see `buttonScope` in bot.ts): its
   * tokens verify on it only.
   */
  scope?: string;
  /** Also accept tokens from before key ids (the default Telegram and Discord bots). */
  legacy?: boolean;
}

type Signer = (message: Uint8Array, out?: Uint8Array) => Uint8Array;

/** One service key's derived keys, and the id tokens name it by. */
interface TokenKey {
  id: string;
  sign: Signer;
  /** The key of tokens from before key ids. */
  v1: Signer;
}

/** Builds the codec; throws without a key. */
export function createActionCodec(options: ActionCodecOptions): ActionCodec {
  if (!options.keys.length) throw new Error("createActionCodec needs at least one key.");
  const scope = options.scope ?? "";
  // Derived on first use (a few ms of cold JavaScript hashing a cold start does not need).
  let derived: TokenKey[] | undefined;
  const tokenKeys = () => derived ??= [...new Set(options.keys)].map((k) => tokenKey(k, scope));
  // The same keys and tags as Web Crypto's HMAC gives (hmac.ts is checked against it), without
  // its ~30 µs of async overhead per call: a page of buttons signs 16 of them.
  const tag = new Uint8Array(32);
  const mac = (sign: Signer, text: string) =>
    base64url(sign(encoder.encode(text), tag).subarray(0, MAC_BYTES));
  // A list shows the same buttons again and again: each token made is kept (it is a function of
  // the signed text alone), the most recent MADE_KEPT of them, sparing ~3 µs of MAC per button.
  const made = new Map<string, string>();
  return {
    encode(a) {
      const current = tokenKeys()[0];
      const signed = `${payload(a)}~${current.id}`;
      let token = made.get(signed);
      if (token === undefined) {
        token = signed + mac(current.sign, signed);
        if (made.size >= MADE_KEPT) made.delete(made.keys().next().value!);
        made.set(signed, token);
      }
      return token;
    },
    decode(token) {
      // Ill-formed text is refused first: UTF-8 encodes every lone surrogate as U+FFFD, so one
      // swapped for U+FFFD would keep the MAC. The length bound, far above both platforms'
      // limits, only bounds the work.
      if (typeof token !== "string" || token.length > 256 || !token.isWellFormed()) return null;
      const cut = token.lastIndexOf("~");
      if (cut < 0) return null;
      const calls = token.slice(0, cut);
      const given = token.slice(-MAC_CHARS);
      let valid = false;
      if (token.length - cut - 1 === KID_CHARS + MAC_CHARS) {
        const id = token.slice(cut + 1, cut + 1 + KID_CHARS);
        const signed = token.slice(0, -MAC_CHARS);
        // Ids are short: two keys may share one, so each key it names is tried.
        for (const key of tokenKeys()) {
          if (key.id === id && sameText(mac(key.sign, signed), given)) valid = true;
        }
      } else if (token.length - cut - 1 === MAC_CHARS && options.legacy) {
        for (const key of tokenKeys()) if (sameText(mac(key.v1, calls), given)) valid = true;
      }
      return valid ? parseCalls(calls) : null;
    },
  };
}

/** `<command>:<args>` and, when something follows, `><command>:<args>`. */
export function payload(call: ActionCall): string {
  // ">" only ever separates the two calls: inside the arguments' strings it is escaped.
  const one = (c: string, a: Record<string, unknown>) =>
    `${c}:${JSON.stringify(a).replaceAll(">", "\\u003e")}`;
  return one(call.command, call.args) +
    (call.then ? `>${one(call.then.command, call.then.args)}` : "");
}

function tokenKey(secret: string, scope: string): TokenKey {
  const base = hmacSha256(encoder.encode(secret));
  const derive = (label: string) => hmacSha256(base(encoder.encode(label)));
  return {
    // Names the key without revealing it: 12 bits of a keyed hash.
    id: base64url(base(encoder.encode("gateway actions key id"))).slice(0, KID_CHARS),
    sign: derive(scope ? `gateway actions v2 ${scope}` : "gateway actions v2"),
    v1: derive("gateway actions v1"),
  };
}

function parseCalls(text: string): ActionCall | null {
  // Command names have no ">": the first one after the first call's arguments splits them.
  const split = text.search(/}>[a-z0-9_-]+:/);
  const first = parseCall(split < 0 ? text : text.slice(0, split + 1));
  if (!first) return null;
  if (split < 0) return first;
  const then = parseCall(text.slice(split + 2));
  return then ? { ...first, then } : null;
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
