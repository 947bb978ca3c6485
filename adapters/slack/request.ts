/**
 * A Slack request, read once after its signature: what kind it is and the fields the gateway
 * uses, checked. Slack posts slash commands and interactivity payloads form-encoded (a payload as
 * JSON in the `payload` field) and Events API callbacks as JSON. Only what is needed is
 * validated; Slack adds fields freely. Anything else of Slack's (shortcuts, modal submissions,
 * other events) is `ignored`: acknowledged, nothing run.
 */
import { GatewayError } from "../../supabase/functions/_shared/errors.ts";
import type { ChatAccount } from "../../supabase/functions/_shared/principal.ts";
import { parseEvent, type SlackEventMessage } from "./event.ts";
import { account, appId, isObject, malformed, text, unescapeSlack } from "./fields.ts";

export { unescapeSlack } from "./fields.ts";

/** A slash command. */
export interface SlashCommand {
  kind: "command";
  account: ChatAccount;
  /** As typed, with its slash: `/acme-tasks`. */
  command: string;
  /** The text after the command, with Slack's `&amp;`, `&lt;` and `&gt;` undone. */
  text: string;
  responseUrl: string;
  triggerId: string;
  apiAppId?: string;
}

/** A pressed Block Kit button. */
export interface ButtonPress {
  kind: "press";
  account: ChatAccount;
  /** The button's `value`, not yet verified. */
  value: string;
  /** The button's block: ours name the user the message was made for. */
  blockId: string;
  /** Only the presser sees the message (then it is theirs to replace). */
  ephemeral: boolean;
  responseUrl: string;
  triggerId: string;
  apiAppId?: string;
}

/** What a request is. */
export type SlackRequest =
  | SlashCommand
  | ButtonPress
  | SlackEventMessage
  | { kind: "ssl_check" }
  | { kind: "url_verification"; challenge: string }
  | { kind: "ignored"; type: string };

const COMMAND = /^\/[^\s/]{1,31}$/;
// Trigger ids look like 13345224609.738474920.8088930838d88f008e0; printable, bounded.
const TRIGGER = /^[\x21-\x7e]{1,200}$/;

/** Parses a verified body by its content type; throws 400 for what is not Slack's shape. */
export function parseSlackRequest(contentType: string | null, body: string): SlackRequest {
  const type = (contentType ?? "").split(";")[0].trim().toLowerCase();
  if (type === "application/json") return parseEvent(body);
  if (type !== "application/x-www-form-urlencoded") {
    throw new GatewayError(
      415,
      "unsupported_media_type",
      "Slack requests are form-encoded (events: JSON).",
    );
  }
  const form = new URLSearchParams(body);
  if (form.get("ssl_check") === "1") return { kind: "ssl_check" };
  const payload = form.get("payload");
  if (payload !== null) return parseInteraction(payload);
  if (form.has("command")) return parseCommand(form);
  throw malformed("it is neither a slash command nor an interaction");
}

/** Whether an unsigned body is Slack's SSL check (`ssl_check=1`, maybe a `token`), and nothing else. */
export function isSslCheck(contentType: string | null, body: string): boolean {
  if (!(contentType ?? "").toLowerCase().startsWith("application/x-www-form-urlencoded")) {
    return false;
  }
  const form = new URLSearchParams(body);
  return form.get("ssl_check") === "1" &&
    [...form.keys()].every((k) => k === "ssl_check" || k === "token");
}

function parseCommand(form: URLSearchParams): SlashCommand {
  const field = (name: string) => form.get(name) ?? undefined;
  const command = field("command");
  if (!command || !COMMAND.test(command)) throw malformed("its command is invalid");
  const apiAppId = field("api_app_id");
  return {
    kind: "command",
    account: account(field("team_id"), field("user_id"), field("user_name")),
    command: command.toLowerCase(),
    text: unescapeSlack(field("text") ?? ""),
    responseUrl: responseUrl(field("response_url")),
    triggerId: trigger(field("trigger_id")),
    ...appId(apiAppId),
  };
}

function parseInteraction(raw: string): SlackRequest {
  let payload: unknown;
  try {
    payload = JSON.parse(raw);
  } catch {
    throw new GatewayError(400, "bad_json", "The interaction payload is not valid JSON.");
  }
  if (!isObject(payload) || typeof payload.type !== "string") {
    throw malformed("its payload has no type");
  }
  if (payload.type !== "block_actions") return { kind: "ignored", type: payload.type.slice(0, 40) };
  const actions = payload.actions;
  const action = Array.isArray(actions) && isObject(actions[0]) ? actions[0] : undefined;
  // Buttons of ours only: a select menu or date picker someone else put there runs nothing.
  if (!action || action.type !== "button" || typeof action.value !== "string") {
    return { kind: "ignored", type: "block_actions" };
  }
  const user = isObject(payload.user) ? payload.user : {};
  const team = isObject(payload.team) ? text(payload.team.id) : undefined;
  const container = isObject(payload.container) ? payload.container : {};
  const apiAppId = text(payload.api_app_id);
  return {
    kind: "press",
    account: account(team ?? text(user.team_id), text(user.id), text(user.username)),
    value: action.value,
    blockId: text(action.block_id) ?? "",
    ephemeral: container.is_ephemeral === true,
    responseUrl: responseUrl(text(payload.response_url)),
    triggerId: trigger(text(payload.trigger_id)),
    ...appId(apiAppId),
  };
}

function responseUrl(value: string | undefined): string {
  if (!value || value.length > 2000 || !URL.canParse(value)) {
    throw malformed("its response_url is invalid");
  }
  return value;
}

function trigger(value: string | undefined): string {
  if (!value || !TRIGGER.test(value)) throw malformed("its trigger_id is invalid");
  return value;
}
