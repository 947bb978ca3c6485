/**
 * Slack test helpers: slash commands and button presses shaped as Slack sends them (form-encoded,
 * a press's payload as JSON), signed with a real HMAC over `v0:{timestamp}:{body}` with knobs to
 * spoil the signature (other secret, stale timestamp, changed body, missing headers), response URLs
 * registered in the test gateway's Slack sink (as Slack makes one per command and press), and
 * reading what the user was shown.
 */
import { slackSignature } from "../adapters/slack/verify.ts";
import { LOCAL_SLACK_TEAM } from "../dev/channel_secrets.ts";
import type { SlackMessage } from "../adapters/slack/format.ts";
import type { TestGateway } from "./fixtures.ts";

/**
 * The workspace the tests' Slack users are in: the one the test gateway's apps are installed in
 * (the sink's), as Slack sends events only from workspaces where the app is installed.
 */
export const SLACK_TEAM = LOCAL_SLACK_TEAM;

/** A Slack user (a caller): their workspace and user ids. */
export interface SlackCaller {
  team: string;
  user: string;
}

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/** A fresh Slack user in the tests' workspace, so tests never share chat accounts. */
export function slackUser(): SlackCaller {
  const bytes = crypto.getRandomValues(new Uint8Array(10));
  return { team: SLACK_TEAM, user: `U${Array.from(bytes, (b) => ALNUM[b % 36]).join("")}` };
}

/** A fresh signing secret (32 hex digits, as Slack shows them). */
export function slackSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

let sequence = Math.floor(Math.random() * 1e9);

/** A fresh trigger id, shaped like Slack's (`13345224609.738474920.8088930838d88f008e0`). */
export function triggerId(): string {
  return `${Date.now()}${++sequence}.${sequence}.${crypto.randomUUID().replaceAll("-", "")}`;
}

/** The fields of a slash command, as Slack form-encodes them. */
export function slashBody(
  caller: SlackCaller,
  command: string,
  text: string,
  responseUrl: string,
  extra: Record<string, string> = {},
): string {
  return new URLSearchParams({
    token: "deprecated-verification-token",
    team_id: caller.team,
    team_domain: "test",
    channel_id: "C0TEST",
    channel_name: "general",
    user_id: caller.user,
    user_name: `user-${caller.user.toLowerCase()}`,
    command,
    text,
    api_app_id: "A0TEST",
    is_enterprise_install: "false",
    response_url: responseUrl,
    trigger_id: triggerId(),
    ...extra,
  }).toString();
}

/** A `block_actions` payload for pressing `button` (a value and block id) on a message. */
export function pressBody(
  caller: SlackCaller,
  button: { value: string; blockId?: string; actionId?: string },
  responseUrl: string,
  options: { ephemeral?: boolean; triggerId?: string } = {},
): string {
  const payload = {
    type: "block_actions",
    user: { id: caller.user, username: "tester", name: "tester", team_id: caller.team },
    api_app_id: "A0TEST",
    token: "deprecated-verification-token",
    container: {
      type: "message",
      message_ts: "1700000000.000100",
      channel_id: "C0TEST",
      is_ephemeral: options.ephemeral ?? true,
    },
    trigger_id: options.triggerId ?? triggerId(),
    team: { id: caller.team, domain: "test" },
    channel: { id: "C0TEST", name: "general" },
    response_url: responseUrl,
    actions: [{
      type: "button",
      action_id: button.actionId ?? "b0.0",
      block_id: button.blockId ?? "r0",
      text: { type: "plain_text", text: "Press" },
      value: button.value,
      action_ts: "1700000001.000200",
    }],
  };
  return `payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

/** Ways to spoil a signed request. */
export interface SlackSignOptions {
  /** Seconds since the epoch to sign; default now. */
  timestamp?: number;
  /** Sign with this secret instead. */
  secret?: string;
  /** Send this body instead of the signed one. */
  sendBody?: string;
  /** Leave out a header. */
  omit?: "signature" | "timestamp" | "both";
  /** Send this signature instead. */
  signature?: string;
  /** The app's route (default `/slack`). */
  path?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

/** A request for the gateway's Slack route, signed as Slack signs it. */
export function signedSlackRequest(
  secret: string,
  body: string,
  options: SlackSignOptions = {},
): Request {
  const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
  const headers: Record<string, string> = {
    "content-type": options.contentType ?? "application/x-www-form-urlencoded",
    ...options.headers,
  };
  if (options.omit !== "signature" && options.omit !== "both") {
    headers["x-slack-signature"] = options.signature ??
      slackSignature(options.secret ?? secret, timestamp, body);
  }
  if (options.omit !== "timestamp" && options.omit !== "both") {
    headers["x-slack-request-timestamp"] = timestamp;
  }
  return new Request(`http://gateway.test/functions/v1/gateway${options.path ?? "/slack"}`, {
    method: "POST",
    headers,
    body: options.sendBody ?? body,
  });
}

/** A message a button is on, and whether only its user sees it. */
export type PressedMessage = { text?: string; blocks?: unknown[]; ephemeral?: boolean };

/** A response URL in the gateway's Slack sink for `caller` (`original`: a pressed message). */
export function responseUrlFor(
  gw: TestGateway,
  caller: SlackCaller,
  original?: PressedMessage,
): string {
  return gw.slack.responseUrl(gw.slackSinkUrl, {
    kind: original ? "actions" : "commands",
    team: caller.team,
    user: caller.user,
    channel: "C0TEST",
    ...(original ? { original: { ...original, ephemeral: original.ephemeral ?? true } } : {}),
  });
}

/** What a slash command got: the HTTP answer, its JSON (null for an empty 200), its URL. */
export interface SlashResult {
  status: number;
  body: SlackMessage | null;
  responseUrl: string;
}

/** Sends `/command text` as `caller`, signed with the app's secret (default: the gateway's). */
export async function slash(
  gw: TestGateway,
  caller: SlackCaller,
  line: string,
  options: SlackSignOptions & { extra?: Record<string, string> } = {},
): Promise<SlashResult> {
  const [command, ...rest] = line.split(" ");
  const responseUrl = responseUrlFor(gw, caller);
  const body = slashBody(caller, command, rest.join(" "), responseUrl, options.extra);
  const res = await gw.handler(
    signedSlackRequest(options.secret ?? gw.env.SLACK_SIGNING_SECRET, body, options),
  );
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, responseUrl };
}

/** The text a person reads in a message: its sections, or its text. */
export function shownText(message: { text?: string; blocks?: unknown[] } | null | undefined) {
  const sections = (message?.blocks ?? []) as { type: string; text?: { text: string } }[];
  const texts = sections.filter((b) => b.type === "section").map((b) => b.text!.text);
  return texts.length ? texts.join("\n") : (message?.text ?? "");
}

/** The buttons of a message: label, value and the id of their block. */
export function buttons(message: { blocks?: unknown[] } | null | undefined) {
  const blocks = (message?.blocks ?? []) as {
    type: string;
    block_id?: string;
    elements?: { text: { text: string }; value: string }[];
  }[];
  return blocks.filter((b) => b.type === "actions").flatMap((b) =>
    (b.elements ?? []).map((e) => ({ label: e.text.text, value: e.value, blockId: b.block_id! }))
  );
}

/** Links a Slack account with `/link <code>`; returns the reply text. */
export async function linkSlack(gw: TestGateway, caller: SlackCaller, code: string) {
  const result = await slash(gw, caller, `/link ${code}`);
  return shownText(result.body);
}

/** A stored Slack payload: form fields, an interaction (`payload=`), or an Events API body. */
export type SlackPayload =
  | { form: Record<string, string> }
  | { interaction: Record<string, unknown> }
  | { event: Record<string, unknown> };

/** How a replay changes a payload besides addressing it to the test's account. */
export interface SlackReplayOptions {
  /** A slash command line replacing the command and its text (`/add Buy milk`). */
  line?: string;
  /** A press: the button's value (a signed call) and block id replacing the first action's. */
  button?: { value: string; blockId: string };
  /** A press: the message the button is on, for its response URL. */
  original?: PressedMessage;
}

/**
 * A stored payload ready to send to the test gateway: the person in it (team and user) replaced
 * by `caller`, a fresh trigger id, its response URL one of the sink's (so nothing leaves the
 * machine); nothing else changed. Returns the body, its content type and the response URL.
 */
export function slackReplay(
  gw: TestGateway,
  stored: SlackPayload,
  caller: SlackCaller,
  options: SlackReplayOptions = {},
): { body: string; contentType: string; responseUrl?: string } {
  if ("event" in stored) {
    return { body: JSON.stringify(stored.event), contentType: "application/json" };
  }
  const form = "application/x-www-form-urlencoded";
  if ("form" in stored) {
    const fields = { ...stored.form };
    if (!("command" in fields)) {
      return { body: new URLSearchParams(fields).toString(), contentType: form };
    }
    const responseUrl = responseUrlFor(gw, caller);
    Object.assign(fields, {
      team_id: caller.team,
      user_id: caller.user,
      response_url: responseUrl,
      trigger_id: triggerId(),
    });
    if (options.line) {
      const [command, ...text] = options.line.split(" ");
      Object.assign(fields, { command, text: text.join(" ") });
    }
    return { body: new URLSearchParams(fields).toString(), contentType: form, responseUrl };
  }
  const payload = structuredClone(stored.interaction) as Record<string, Record<string, unknown>>;
  if (payload.user && typeof payload.user === "object") {
    payload.user = { ...payload.user, id: caller.user, team_id: caller.team };
  }
  if (payload.team && typeof payload.team === "object") {
    payload.team = { ...payload.team, id: caller.team };
  }
  let responseUrl: string | undefined;
  if ("response_url" in payload || options.button) {
    responseUrl = responseUrlFor(gw, caller, options.original ?? { text: "(the pressed message)" });
    (payload as Record<string, unknown>).response_url = responseUrl;
  }
  if ("trigger_id" in payload) (payload as Record<string, unknown>).trigger_id = triggerId();
  const actions = (payload as { actions?: Record<string, unknown>[] }).actions;
  if (options.button && actions?.[0]) {
    actions[0] = { ...actions[0], value: options.button.value, block_id: options.button.blockId };
  }
  return {
    body: `payload=${encodeURIComponent(JSON.stringify(payload))}`,
    contentType: form,
    responseUrl,
  };
}
