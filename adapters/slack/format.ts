/**
 * Replies for Slack: a message with Block Kit blocks. The text goes in `plain_text` sections (no
 * markup, so a task title can neither format nor mention anyone), split at Slack's 3,000
 * characters per section; the top-level `text`, which Slack reads as markup and shows in
 * notifications, is the first part with `&`, `<` and `>` escaped as Slack asks. A reply's actions
 * become `actions` blocks of buttons, each carrying its signed call in `value`; each actions
 * block's id names the Slack user the message was made for, so a press can tell whether the
 * message is the presser's to replace.
 */
import type { ActionStyle } from "../../supabase/functions/_shared/actions.ts";
import type { ActionCodec } from "../../supabase/functions/_shared/action_tokens.ts";
import { splitForLimit } from "../../supabase/functions/_shared/reply.ts";
import type { Reply } from "../../supabase/functions/_shared/reply.ts";

/** Slack's limits (Block Kit reference). */
export const SECTION_TEXT_LIMIT = 3000;
export const MAX_BLOCKS = 50;
/** Sections a long reply may take; the rest is cut and said to be. */
export const MAX_SECTIONS = 10;

/** A plain-text object. */
export interface PlainText {
  type: "plain_text";
  text: string;
}

/** The blocks the gateway sends. */
export type Block =
  | { type: "section"; text: PlainText }
  | {
    type: "actions";
    block_id: string;
    elements: {
      type: "button";
      text: PlainText;
      action_id: string;
      value: string;
      style?: "primary" | "danger";
    }[];
  };

/** A message as a response (inline, or posted to a `response_url`). */
export interface SlackMessage {
  response_type?: "ephemeral" | "in_channel";
  replace_original?: boolean;
  text: string;
  blocks?: Block[];
}

/** Slack has two button styles besides the default. */
const STYLE: Record<ActionStyle, "primary" | "danger" | undefined> = {
  primary: "primary",
  success: "primary",
  danger: "danger",
  secondary: undefined,
};

/** Escapes text Slack reads as markup (`text` fields): only `&`, `<` and `>` are special. */
export function escapeSlack(text: string): string {
  return text.replace(/[&<>]/g, (c) => (c === "&" ? "&amp;" : c === "<" ? "&lt;" : "&gt;"));
}

/**
 * The message for `text` and its buttons, made for `owner` (a Slack user id): blocks of plain
 * text within Slack's limits, then the buttons.
 */
export function slackMessage(
  text: string,
  options: { actions?: Reply["actions"]; codec?: ActionCodec; owner?: string } = {},
): SlackMessage {
  const parts = sections(text.trim() === "" ? "Done." : text);
  const blocks: Block[] = parts.map((part) => ({
    type: "section",
    text: { type: "plain_text", text: part },
  }));
  const owner = options.owner ?? "";
  (options.actions ?? []).forEach((row, r) => {
    if (!row.length || !options.codec) return;
    blocks.push({
      type: "actions",
      block_id: `r${r}.${owner}`,
      elements: row.map((a, i) => ({
        type: "button",
        text: { type: "plain_text", text: a.label },
        action_id: `b${r}.${i}`,
        value: options.codec!.encode(a),
        ...(STYLE[a.style ?? "secondary"] ? { style: STYLE[a.style ?? "secondary"] } : {}),
      })),
    });
  });
  return { text: escapeSlack(parts[0]), blocks: blocks.slice(0, MAX_BLOCKS) };
}

/** The user a message's actions block was made for (`r<row>.<user id>`), if any. */
export function blockOwner(blockId: string): string | undefined {
  return /^r\d+\.([UW][A-Z0-9]{2,20})$/.exec(blockId)?.[1];
}

/** The text in sections of at most SECTION_TEXT_LIMIT; past MAX_SECTIONS, a note of what is cut. */
function sections(text: string): string[] {
  const parts = splitForLimit(text, SECTION_TEXT_LIMIT);
  if (parts.length <= MAX_SECTIONS) return parts;
  const kept = parts.slice(0, MAX_SECTIONS);
  const shown = kept.join("\n").split("\n").length;
  const hidden = text.split("\n").length - shown;
  const note = hidden > 0
    ? `… and ${hidden} more line${hidden === 1 ? "" : "s"} not shown`
    : "… (the rest is not shown)";
  const last = kept[MAX_SECTIONS - 1];
  kept[MAX_SECTIONS - 1] = last.length + note.length + 1 <= SECTION_TEXT_LIMIT
    ? `${last}\n${note}`
    : `${last.slice(0, SECTION_TEXT_LIMIT - note.length - 1)}\n${note}`;
  return kept;
}
