/**
 * Replies for Telegram: plain command text escaped for `parse_mode: "HTML"` and split so every
 * message stays within Telegram's 4096 characters after escaping.
 */
import { splitForLimit } from "../../supabase/functions/_shared/reply.ts";

/** Telegram's maximum message length. */
export const TELEGRAM_TEXT_LIMIT = 4096;

/** Escapes text for Telegram's HTML parse mode (only &, < and > are special there). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>]/g, (c) => (c === "&" ? "&amp;" : c === "<" ? "&lt;" : "&gt;"));
}

/** The text a person reads from an escaped message (the inverse of {@link escapeHtml}). */
export function unescapeHtml(html: string): string {
  return html.replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&amp;", "&");
}

/** The messages to send for `text`, escaped, each within the limit. */
export function telegramMessages(text: string, limit = TELEGRAM_TEXT_LIMIT): string[] {
  return splitForLimit(text || " ", limit, escapeHtml).map(escapeHtml);
}
