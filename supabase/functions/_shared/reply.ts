/**
 * The neutral reply every command returns. Text is plain (no markup): each channel escapes it for
 * its own format and splits it at its own limits. `data` is structured output for HTTPS callers.
 */

import type { ActionRows } from "./actions.ts";

/** A command's answer. */
export interface Reply {
  text: string;
  data?: unknown;
  /** Buttons under the reply (see `actions.ts`): each calls a command as the one who presses. */
  actions?: ActionRows;
  /**
   * When the reply answers a pressed button: replace the message the button was on (a list
   * refreshed in place) instead of sending a new one.
   */
  replaces?: boolean;
}

/** Helpers to build replies. */
export const reply = {
  text(text: string, data?: unknown): Reply {
    return data === undefined ? { text } : { text, data };
  },
  /** The same reply with buttons (rows from `rows()` in `actions.ts`). */
  withActions(r: Reply, actions: ActionRows): Reply {
    return actions.length ? { ...r, actions } : r;
  },
};

/**
 * Splits `text` into chunks whose rendered length (after `render`) stays within `limit`,
 * preferring line breaks, then spaces. Used for Telegram's 4096 and Discord's 2000 limits.
 */
export function splitForLimit(
  text: string,
  limit: number,
  render: (chunk: string) => string = (s) => s,
): string[] {
  const chunks: string[] = [];
  let rest = text;
  while (rest.length > 0) {
    if (render(rest).length <= limit) {
      chunks.push(rest);
      break;
    }
    // Largest prefix that fits once rendered (rendering only grows text, so bisect on length).
    let lo = 1, hi = rest.length;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (render(rest.slice(0, mid)).length <= limit) lo = mid;
      else hi = mid - 1;
    }
    let cut = lo;
    const newline = rest.lastIndexOf("\n", cut);
    const space = rest.lastIndexOf(" ", cut);
    if (newline > cut / 2) cut = newline + 1;
    else if (space > cut / 2) cut = space + 1;
    // Never split a surrogate pair.
    const code = rest.charCodeAt(cut - 1);
    if (code >= 0xd800 && code <= 0xdbff && cut > 1) cut -= 1;
    chunks.push(rest.slice(0, cut).trimEnd() || rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  return chunks.filter((c) => c.length > 0);
}
