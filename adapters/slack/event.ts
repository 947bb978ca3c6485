/**
 * Events API callbacks (JSON at the same Request URL), read once after the signature: the
 * `url_verification` handshake, and the two events that carry a command, an `app_mention` in a
 * channel ("@Acme tasks 2") and a `message` in the app's direct message (`channel_type: "im"`,
 * "tasks 2"). Everything else is `ignored` (acknowledged, nothing run, no database call): other
 * event types, messages elsewhere, any message with a `subtype` (`bot_message`,
 * `message_changed`, `message_deleted`, joins, file shares…: not something a person typed as a
 * command), anything a bot sent (`bot_id`), the app's own messages, an empty direct message.
 * An event that would run but lacks what it needs (its event id, channel, ts, the person) is a
 * 400: Slack's shape, not ours to guess.
 */
import { GatewayError } from "../../supabase/functions/_shared/errors.ts";
import type { ChatAccount } from "../../supabase/functions/_shared/principal.ts";
import {
  account,
  appId,
  isObject,
  type Json,
  malformed,
  text,
  unescapeSlack,
  USER,
} from "./fields.ts";

/** A command sent to the app by mention or direct message. */
export interface SlackEventMessage {
  kind: "event";
  /** `dm`: the app's direct message; `mention`: a mention in a channel (seen by others). */
  where: "dm" | "mention";
  account: ChatAccount;
  /** What was typed after the app's mention, Slack's markup undone (`tasks 2`). */
  text: string;
  channel: string;
  /** The message's own ts, and the thread it is in, if any. */
  ts: string;
  threadTs?: string;
  /** Slack's id of this delivery: the same on every retry of it. */
  eventId: string;
  apiAppId?: string;
}

/** What an Events API body is. */
export type SlackEventRequest =
  | SlackEventMessage
  | { kind: "url_verification"; challenge: string }
  | { kind: "ignored"; type: string };

// Event ids look like Ev0PV52K21 (printable and bounded is all the ledger key needs); ts like
// 1355517523.000005; channels C…, G… (private), D… (DM).
const EVENT_ID = /^[\x21-\x7e]{1,100}$/;
const TS = /^\d{1,12}\.\d{1,8}$/;
const CHANNEL = /^[CDG][A-Z0-9]{2,20}$/;
/** A leading mention, `<@U0LAN0Z89>` or `<@U0LAN0Z89|acme>`, and what separates it from the rest. */
const LEADING_MENTION = /^\s*<@([UW][A-Z0-9]{2,20})(?:\|[^<>]{0,200})?>[\s,:]*/;

/** Parses a verified JSON body; throws 400 for what is not Slack's shape. */
export function parseEvent(body: string): SlackEventRequest {
  let payload: unknown;
  try {
    payload = JSON.parse(body);
  } catch {
    throw new GatewayError(400, "bad_json", "The event is not valid JSON.");
  }
  if (!isObject(payload) || typeof payload.type !== "string") {
    throw malformed("the event has no type");
  }
  if (payload.type === "url_verification") {
    const challenge = text(payload.challenge);
    if (!challenge || challenge.length > 500) throw malformed("its challenge is invalid");
    return { kind: "url_verification", challenge };
  }
  if (payload.type !== "event_callback") return ignored(payload.type);
  if (!isObject(payload.event) || typeof payload.event.type !== "string") {
    throw malformed("its event has no type");
  }
  return readEvent(payload, payload.event);
}

function readEvent(envelope: Json, event: Json): SlackEventRequest {
  const type = event.type as string;
  const where = type === "app_mention"
    ? "mention"
    : type === "message" && event.channel_type === "im"
    ? "dm"
    : undefined;
  // Channel messages (message.channels) are not subscribed to: a command there is a mention.
  if (!where) return ignored(type);
  // A reply also sent to the conversation ("Also send to …") is still what the person typed.
  if (event.subtype !== undefined && event.subtype !== "thread_broadcast") {
    return ignored(`${type}:${String(event.subtype).slice(0, 30)}`);
  }
  if (event.bot_id !== undefined || event.bot_profile !== undefined) return ignored(`${type}:bot`);
  // A mention in the app's DM is also a `message.im`, which answers it: one message, one run.
  if (where === "mention" && /^D/.test(text(event.channel) ?? "")) return ignored(`${type}:dm`);
  const bot = botUserId(envelope);
  // The app's own messages in its DM come back as message.im events: never answer oneself.
  if (bot !== undefined && event.user === bot) return ignored(`${type}:self`);
  const typed = typedText(withoutMention(text(event.text) ?? "", bot)).trim();
  // Nothing typed in a DM (a file alone, a blank line): nothing to answer. A bare mention is
  // answered with the hint, since the person asked the app something.
  if (where === "dm" && typed === "") return ignored(`${type}:empty`);
  const eventId = text(envelope.event_id);
  if (!eventId || !EVENT_ID.test(eventId)) throw malformed("its event_id is invalid");
  const channel = text(event.channel);
  if (!channel || !CHANNEL.test(channel)) throw malformed("its channel is invalid");
  // A direct message is in a D… conversation; an answer to anything else would be public.
  if (where === "dm" && !channel.startsWith("D")) return ignored(`${type}:not_dm`);
  const ts = text(event.ts);
  if (!ts || !TS.test(ts)) throw malformed("its ts is invalid");
  const threadTs = text(event.thread_ts);
  if (event.thread_ts !== undefined && !(threadTs && TS.test(threadTs))) {
    throw malformed("its thread_ts is invalid");
  }
  // The person's own workspace (user_team in shared channels), as a slash command names it.
  const team = text(event.user_team) ?? text(event.team) ?? text(envelope.team_id);
  return {
    kind: "event",
    where,
    account: account(team, text(event.user)),
    text: typed.slice(0, 4000),
    channel,
    ts,
    ...(threadTs ? { threadTs } : {}),
    eventId,
    ...appId(envelope.api_app_id),
  };
}

/**
 * The app's bot user, from the installation the event is for (`authorizations`, vouched for by
 * the signature); undefined in older payloads, which carry `authed_users` only.
 */
function botUserId(envelope: Json): string | undefined {
  const list = Array.isArray(envelope.authorizations) ? envelope.authorizations : [];
  const bot = list.find((a) => isObject(a) && a.is_bot === true) as Json | undefined;
  const id = text(bot?.user_id);
  return id && USER.test(id) ? id : undefined;
}

/**
 * The text without the app's mentions (`<@U0LAN0Z89> tasks 2`, `tasks 2 <@U0LAN0Z89>` → `tasks
 * 2`): the app is who is spoken to, never an argument. When the bot's id is unknown, a leading
 * mention is taken to be the app's (Slack sent the event because the app was mentioned) and other
 * mentions stay where they are.
 */
export function withoutMention(text: string, bot?: string): string {
  const match = LEADING_MENTION.exec(text);
  if (bot === undefined) return match ? text.slice(match[0].length) : text;
  if (match && match[1] === bot) text = text.slice(match[0].length);
  // Split at each mention and join the pieces with one space, trimmed by hand: a regular
  // expression with `\s*` before the mention would rescan a run of whitespace from each of its
  // positions (quadratic: seconds for a message of 40,000 spaces). A label is bounded for the
  // same reason: an unclosed `<@BOT|` would otherwise be scanned to the end of the text.
  let joined = text.split(new RegExp(`<@${bot}(?:\\|[^<>]{0,200})?>`)).reduce((left, piece) => {
    const [l, r] = [left.trimEnd(), piece.trimStart()];
    return l && r ? `${l} ${r}` : l + r;
  });
  // Whoever is still named first is someone else ("@Beta @Acme tasks"): not the command.
  for (let other; (other = LEADING_MENTION.exec(joined));) joined = joined.slice(other[0].length);
  return joined;
}

/**
 * What the person typed, from Slack's markup: `<https://x.test|x.test>` → `x.test`,
 * `<mailto:a@b.test|a@b.test>` → `a@b.test`, `<@U123|ann>` → `@ann`, `<#C123|general>` →
 * `#general`, `<!here>` → `@here`, then `&amp;`, `&lt;` and `&gt;` undone, as a slash command's
 * text is read.
 */
export function typedText(markup: string): string {
  const plain = markup.replace(/<([^<>]*)>/g, (_, inner: string) => {
    const bar = inner.indexOf("|");
    const target = bar === -1 ? inner : inner.slice(0, bar);
    const label = bar === -1 ? undefined : inner.slice(bar + 1);
    if (target.startsWith("@")) return label ? `@${label}` : target;
    if (target.startsWith("#")) return label ? `#${label}` : target;
    if (target.startsWith("!")) {
      // `<!here>` → `@here`; a user group, `<!subteam^S0DEVS>`, by its id when it has no label.
      const [keyword, id] = target.slice(1).split("^");
      return label ?? (keyword === "subteam" && id ? `@${id}` : `@${keyword}`);
    }
    return label ?? target.replace(/^mailto:/, "");
  });
  return unescapeSlack(plain);
}

function ignored(type: string): { kind: "ignored"; type: string } {
  return { kind: "ignored", type: type.slice(0, 40) };
}
