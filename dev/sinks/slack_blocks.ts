/**
 * Slack sink helper: checking a message (`text`, `blocks`) as Slack does before it posts one, for
 * both the Web API (`chat.postMessage`, `chat.update`) and response URLs. What Slack refuses is
 * refused with its error code: `no_text` for a message with nothing to show, `msg_too_long` past
 * 40,000 characters of text, `invalid_blocks` (with Slack's `errors` lines) for blocks outside
 * Block Kit's limits: 50 blocks, 3,000 characters of section text, 25 elements per actions block,
 * button text of 75 characters, a button `value` of 2,000 and an `action_id` or `block_id` of 255,
 * block ids unique in the message and action ids unique in their block.
 *
 * @module
 */

/** A refusal: Slack's error code and, for `invalid_blocks`, its explanation lines. */
export class SlackError extends Error {
  /** Creates the refusal `error` (`channel_not_found`, …) with HTTP `status` (200 for the API). */
  constructor(readonly error: string, readonly status = 200, readonly errors?: string[]) {
    super(error);
  }
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Slack's limit for a message's text. */
export const TEXT_LIMIT = 40_000;
const KNOWN_BLOCKS = new Set(["section", "actions", "context", "divider", "header", "image"]);

/** Throws the SlackError Slack would answer for this message, if any (`status` for its HTTP). */
export function checkMessage(body: Json, status = 200): void {
  const { text, blocks } = body;
  if (text !== undefined && typeof text !== "string") {
    throw new SlackError("invalid_arguments", status);
  }
  const hasText = typeof text === "string" && text.trim() !== "";
  const hasBlocks = Array.isArray(blocks) && blocks.length > 0;
  if (!hasText && !hasBlocks) throw new SlackError("no_text", status);
  if (typeof text === "string" && text.length > TEXT_LIMIT) {
    throw new SlackError("msg_too_long", status);
  }
  if (blocks === undefined) return;
  const errors = blockErrors(blocks);
  if (errors.length) throw new SlackError("invalid_blocks", status, errors);
}

/** Slack's explanation lines for invalid blocks (empty when they are valid). */
export function blockErrors(blocks: unknown): string[] {
  if (!Array.isArray(blocks)) return ["must be an array [json-pointer:/blocks]"];
  const errors: string[] = [];
  if (blocks.length > 50) errors.push("no more than 50 items allowed [json-pointer:/blocks]");
  const blockIds = new Set<string>();
  blocks.forEach((block, i) => {
    const at = `/blocks/${i}`;
    if (!isObject(block) || !KNOWN_BLOCKS.has(String(block.type))) {
      errors.push(
        `unsupported type \`${
          String(isObject(block) ? block.type : block)
        }\` [json-pointer:${at}/type]`,
      );
      return;
    }
    if (block.block_id !== undefined) {
      const id = block.block_id;
      if (typeof id !== "string" || id.length > 255 || id === "") {
        errors.push(`must be 1-255 characters [json-pointer:${at}/block_id]`);
      } else if (blockIds.has(id)) {
        errors.push(`duplicate block_id \`${id}\` [json-pointer:${at}/block_id]`);
      } else blockIds.add(id);
    }
    if (block.type === "section") errors.push(...textErrors(block.text, 3000, `${at}/text`));
    if (block.type === "actions") errors.push(...actionsErrors(block.elements, `${at}/elements`));
  });
  return errors;
}

function textErrors(value: unknown, max: number, at: string, plainOnly = false): string[] {
  if (!isObject(value)) return [`must provide an object [json-pointer:${at}]`];
  const types = plainOnly ? ["plain_text"] : ["plain_text", "mrkdwn"];
  if (!types.includes(String(value.type))) {
    return [`must be one of ${types.join(", ")} [json-pointer:${at}/type]`];
  }
  if (typeof value.text !== "string" || value.text.length === 0) {
    return [`must be more than 0 characters [json-pointer:${at}/text]`];
  }
  if (value.text.length > max) {
    return [`must be less than ${max + 1} characters [json-pointer:${at}/text]`];
  }
  return [];
}

function actionsErrors(elements: unknown, at: string): string[] {
  if (!Array.isArray(elements) || elements.length === 0) {
    return [`must provide at least 1 item [json-pointer:${at}]`];
  }
  if (elements.length > 25) return [`no more than 25 items allowed [json-pointer:${at}]`];
  const errors: string[] = [];
  const actionIds = new Set<string>();
  elements.forEach((element, i) => {
    const here = `${at}/${i}`;
    if (!isObject(element) || element.type !== "button") return; // other elements not modelled
    errors.push(...textErrors(element.text, 75, `${here}/text`, true));
    const { action_id: id, value, style } = element;
    if (id !== undefined) {
      if (typeof id !== "string" || id.length === 0 || id.length > 255) {
        errors.push(`must be 1-255 characters [json-pointer:${here}/action_id]`);
      } else if (actionIds.has(id)) {
        errors.push(`duplicate action_id \`${id}\` [json-pointer:${here}/action_id]`);
      } else actionIds.add(id);
    }
    if (value !== undefined && (typeof value !== "string" || value.length > 2000)) {
      errors.push(`must be less than 2001 characters [json-pointer:${here}/value]`);
    }
    if (style !== undefined && style !== "primary" && style !== "danger") {
      errors.push(`must be one of primary, danger [json-pointer:${here}/style]`);
    }
  });
  return errors;
}
