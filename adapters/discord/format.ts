/**
 * Replies for Discord: plain command text escaped for Discord markdown (task titles are user
 * data), never pinging anyone (`allowed_mentions: {parse: []}`), private (ephemeral) unless the
 * command asks for a public reply, and within Discord's 2000-character limit. Longer text is
 * trimmed at a line boundary (or a word, for one long line) and says how many lines it left out.
 */
import { splitForLimit } from "../../supabase/functions/_shared/reply.ts";

/** Discord's maximum message content length. */
export const DISCORD_CONTENT_LIMIT = 2000;
/** Message flag: only the caller sees the reply. */
export const EPHEMERAL = 64;
/** Interaction callback types (Discord's `InteractionResponseType`). */
export const ResponseType = {
  PONG: 1,
  CHANNEL_MESSAGE_WITH_SOURCE: 4,
  DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE: 5,
  DEFERRED_UPDATE_MESSAGE: 6,
  UPDATE_MESSAGE: 7,
  APPLICATION_COMMAND_AUTOCOMPLETE_RESULT: 8,
} as const;

/** What the gateway answers to an interaction (and stores in the ledger for replays). */
export interface InteractionResponse {
  type: number;
  data?: Record<string, unknown>;
}

/** Message fields shared by responses and webhook edits. */
export interface MessageBody {
  content: string;
  allowed_mentions: { parse: never[] };
  flags?: number;
  components?: ActionRowComponent[];
}

/** A row of buttons (component type 1 holding type 2 buttons). */
export interface ActionRowComponent {
  type: 1;
  components: { type: 2; style: number; label: string; custom_id: string }[];
}

/** Discord's button styles. */
export const BUTTON_STYLE = { primary: 1, secondary: 2, success: 3, danger: 4 } as const;
/** Most follow-up messages a long reply is sent in, after the first (the rest is cut). */
export const MAX_FOLLOW_UPS = 4;

/**
 * The escaped parts of a long text, each within the limit: the first is the response, the rest
 * go as follow-up messages. Beyond {@link MAX_FOLLOW_UPS} follow-ups the last part says what is
 * left out.
 */
export function discordParts(text: string): string[] {
  const source = text.trim() === "" ? "Done." : text;
  if (escapeMarkdown(source).length <= DISCORD_CONTENT_LIMIT) return [escapeMarkdown(source)];
  const parts = splitForLimit(source, DISCORD_CONTENT_LIMIT, escapeMarkdown);
  if (parts.length <= MAX_FOLLOW_UPS + 1) return parts.map(escapeMarkdown);
  const kept = parts.slice(0, MAX_FOLLOW_UPS + 1);
  kept[MAX_FOLLOW_UPS] = parts.slice(MAX_FOLLOW_UPS).join("\n");
  return [
    ...kept.slice(0, MAX_FOLLOW_UPS).map(escapeMarkdown),
    discordContent(kept[MAX_FOLLOW_UPS]),
  ];
}

/** Room kept for the note saying what was left out. */
const NOTE_ROOM = 40;

/**
 * Escapes Discord markdown: inline markers (`* _ ~ \` | \ [ ] <`) everywhere, block markers
 * (`> # - +` and `1.`) at the start of a line. `<` covers mentions, channels, emoji and
 * timestamps. A backslash before punctuation is hidden by Discord, so the text reads unchanged.
 */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/[\\*_~`|[\]<]/g, "\\$&")
    .replace(/^([ \t]*)([>#+-])/gm, "$1\\$2")
    .replace(/^([ \t]*\d+)\./gm, "$1\\.");
}

/** The escaped content for `text`, trimmed to fit `limit` characters. */
export function discordContent(text: string, limit = DISCORD_CONTENT_LIMIT): string {
  const source = text.trim() === "" ? "Done." : text;
  const escaped = escapeMarkdown(source);
  if (escaped.length <= limit) return escaped;
  // Cut at a line (never mid-line when lines are short) and say how much is not shown.
  const [first] = splitForLimit(source, limit - NOTE_ROOM, escapeMarkdown);
  const shownLines = first.split("\n").length;
  const hiddenLines = source.split("\n").length - shownLines;
  const note = hiddenLines > 0
    ? `\n… and ${hiddenLines} more line${hiddenLines === 1 ? "" : "s"} not shown`
    : "\n… (the rest is not shown)";
  return escapeMarkdown(first) + note;
}

/** A message body for `text`: escaped, trimmed, mentioning no one. */
export function messageBody(text: string, ephemeral: boolean): MessageBody {
  const body: MessageBody = { content: discordContent(text), allowed_mentions: { parse: [] } };
  if (ephemeral) body.flags = EPHEMERAL;
  return body;
}

/** An immediate message response (type 4). */
export function messageResponse(text: string, ephemeral: boolean): InteractionResponse {
  return {
    type: ResponseType.CHANNEL_MESSAGE_WITH_SOURCE,
    data: { ...messageBody(text, ephemeral) },
  };
}

/** A deferred response (type 5): Discord shows "thinking…" until the original is edited. */
export function deferredResponse(ephemeral: boolean): InteractionResponse {
  return {
    type: ResponseType.DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE,
    data: { flags: ephemeral ? EPHEMERAL : 0 },
  };
}
