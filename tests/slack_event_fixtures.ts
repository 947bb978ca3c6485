/**
 * Slack Events API test helpers: a person writes a message (in the test gateway's Slack sink, as
 * Slack has it before it delivers the event: their DM with the bot, or a channel the app is in),
 * then Slack's `event_callback` about it (`message` with `channel_type: "im"`, or `app_mention`
 * with the bot's `<@U…>` first), signed with a real v0 HMAC, posted as JSON; and what the bot
 * answered in that conversation (messages and ephemeral messages through the sink's Web API).
 */
import { LOCAL_SLACK_BOTS } from "../dev/channel_secrets.ts";
import type { SlackEphemeralMessage, SlackPostedMessage } from "../dev/sinks/mod.ts";
import type { TestGateway } from "./fixtures.ts";
import { signedSlackRequest, type SlackCaller, type SlackSignOptions } from "./slack_fixtures.ts";

/** The default app's bot user in the test workspace (the sink knows its token as this bot). */
export const SLACK_BOT_USER = LOCAL_SLACK_BOTS.default.userId;
/** The channel mentions are written in, unless a test names another. */
export const EVENT_CHANNEL = "C0EVENTS";

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/** A fresh event id, shaped like Slack's (`Ev0PV52K21`). */
export function newEventId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(10));
  return `Ev${Array.from(bytes, (b) => ALNUM[b % 36]).join("")}`;
}

/** How an event is written and sent. */
export interface EventOptions extends SlackSignOptions {
  /** `dm` (default): the app's DM; `mention`: "@app <text>" in a channel. */
  where?: "dm" | "mention";
  channel?: string;
  threadTs?: string;
  eventId?: string;
  /** Fields of the inner event to add or replace (`bot_id`, `subtype`, …). */
  event?: Record<string, unknown>;
  /** The bot user the event's `authorizations` name (default: the app's). */
  botUser?: string;
}

/** An event written by `caller`: its JSON body and where its message is. */
export function eventFor(gw: TestGateway, caller: SlackCaller, text: string, o: EventOptions = {}) {
  const where = o.where ?? "dm";
  const bot = o.botUser ?? SLACK_BOT_USER;
  const markup = where === "mention" ? `<@${bot}> ${text}` : text;
  const written = gw.slack.userMessage({
    team: caller.team,
    user: caller.user,
    text: markup,
    ...(where === "mention" ? { channel: o.channel ?? EVENT_CHANNEL } : {}),
    ...(o.threadTs ? { threadTs: o.threadTs } : {}),
  });
  const eventId = o.eventId ?? newEventId();
  const event = {
    type: where === "mention" ? "app_mention" : "message",
    user: caller.user,
    text: markup,
    ts: written.ts,
    team: caller.team,
    channel: written.channel,
    event_ts: written.ts,
    ...(where === "dm" ? { channel_type: "im" } : {}),
    ...(o.threadTs ? { thread_ts: o.threadTs } : {}),
    ...o.event,
  };
  const body = JSON.stringify({
    token: "deprecated-verification-token",
    team_id: caller.team,
    api_app_id: "A0TEST",
    event,
    type: "event_callback",
    event_id: eventId,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [{
      enterprise_id: null,
      team_id: caller.team,
      user_id: bot,
      is_bot: true,
      is_enterprise_install: false,
    }],
    is_ext_shared_channel: false,
    event_context: `4-eyJldCI6Im1lc3NhZ2UifQ-${eventId}`,
  });
  return { body, eventId, channel: written.channel, ts: written.ts };
}

/** Posts an event body as Slack does (JSON, signed with the app's secret unless told). */
export function postEvent(gw: TestGateway, body: string, o: SlackSignOptions = {}) {
  return gw.handler(
    signedSlackRequest(o.secret ?? gw.env.SLACK_SIGNING_SECRET, body, {
      contentType: "application/json",
      ...o,
    }),
  );
}

/** What a sent event came to: the HTTP answer, its cost, and what the bot said where. */
export interface EventResult {
  status: number;
  text: string;
  eventId: string;
  channel: string;
  ts: string;
  body: string;
  dbCalls: number;
  ms: number;
  /** Messages the bot posted in the event's channel for it. */
  posted: SlackPostedMessage[];
  /** Ephemeral messages it posted there. */
  ephemeral: SlackEphemeralMessage[];
}

/** Writes `text` as `caller` and sends the event; waits for background work to end. */
export async function sendEvent(
  gw: TestGateway,
  caller: SlackCaller,
  text: string,
  o: EventOptions = {},
): Promise<EventResult> {
  await gw.handler.core.drain(); // what earlier requests left running is not this one's
  const written = eventFor(gw, caller, text, o);
  return await resend(gw, written, o);
}

/** Sends an event already written (a retry of it, or to another gateway). */
export async function resend(
  gw: TestGateway,
  written: { body: string; eventId: string; channel: string; ts: string },
  o: SlackSignOptions = {},
  sink: Pick<TestGateway, "slack"> = gw,
): Promise<EventResult> {
  const posted = sink.slack.messages.length;
  const ephemeral = sink.slack.ephemerals.length;
  const before = gw.dbCalls();
  const started = performance.now();
  const res = await postEvent(gw, written.body, o);
  const ms = performance.now() - started;
  const text = await res.text();
  await gw.handler.core.drain();
  return {
    ...written,
    status: res.status,
    text,
    ms,
    dbCalls: gw.dbCalls() - before,
    posted: sink.slack.messages.slice(posted).filter((m) => m.channel === written.channel),
    ephemeral: sink.slack.ephemerals.slice(ephemeral).filter((m) => m.channel === written.channel),
  };
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null;

/**
 * A stored Events API body (corpus) ready to send to the test gateway: a fresh `event_id` (the
 * corpus repeats Slack's `Ev111`), and the person who wrote the message (not a bot) replaced by
 * `caller`, with their workspace, in a conversation the sink knows as Slack would: their DM with
 * the bot for a DM, else the event's channel with the app and the person in it, as a new message
 * there (the sink's ts). With `text`, the message's text is replaced. Nothing else is changed.
 */
export function eventReplay(
  gw: TestGateway,
  stored: Json,
  caller: SlackCaller,
  options: { text?: string } = {},
): { body: string; channel?: string } {
  const out = structuredClone(stored);
  const event = out.event;
  if (out.type !== "event_callback" || !isObject(event)) return { body: JSON.stringify(out) };
  out.event_id = newEventId();
  if (typeof out.team_id === "string") out.team_id = caller.team;
  if (typeof event.user !== "string" || event.bot_id !== undefined) {
    return { body: JSON.stringify(out) };
  }
  event.user = caller.user;
  for (const key of ["team", "user_team"]) {
    if (typeof event[key] === "string") event[key] = caller.team;
  }
  if (options.text !== undefined) event.text = options.text;
  const inChannel = event.channel_type !== "im" && typeof event.channel === "string" &&
    /^[CG][A-Z0-9]{2,20}$/.test(event.channel);
  const written = gw.slack.userMessage({
    team: caller.team,
    user: caller.user,
    text: String(event.text ?? ""),
    ...(inChannel ? { channel: event.channel as string } : {}),
  });
  // A new message: the sink's channel and ts (a delivery is the message, so a stored ts sent
  // twice would be a repeat).
  event.channel = written.channel;
  for (const key of ["ts", "event_ts"]) {
    if (typeof event[key] === "string") event[key] = written.ts;
  }
  return { body: JSON.stringify(out), channel: written.channel };
}
