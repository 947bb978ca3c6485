/**
 * Slack sink helper: the Web API methods the gateway calls, with Slack's answers. Every answer is
 * HTTP 200 with `{ok:true,…}` or `{ok:false,error}`: `not_authed` without a token,
 * `invalid_auth` for a token the sink was not given, `channel_not_found`, `not_in_channel` (a
 * public channel the bot was not added to), `user_not_found`, `message_not_found`,
 * `cant_update_message`, plus the message checks of `slack_blocks.ts`.
 *
 * - `auth.test`: who the token is.
 * - `conversations.open` (`users`): the bot's direct message channel with a user (`D…`).
 * - `chat.postMessage` (`channel`, `text`, `blocks`, `thread_ts`): posts; answers `channel`, `ts`,
 *   `message`. A `thread_ts` that is not a message ts is `invalid_arguments`.
 * - `chat.postEphemeral` (`channel`, `user`, `text`, `blocks`, `thread_ts`): a message only `user`
 *   sees (`slack_conversation.ts`); answers `message_ts`.
 * - `chat.update` (`channel`, `ts`, `text`, `blocks`): edits a message the bot posted.
 *
 * @module
 */
import { checkMessage, SlackError } from "./slack_blocks.ts";
import {
  postEphemeral,
  type SlackEphemeralMessage,
  type SlackUserMessage,
  threadTs,
} from "./slack_conversation.ts";

export type { SlackEphemeralMessage, SlackUserMessage };

type Json = Record<string, unknown>;

/** A workspace's bot, as a token names it. */
export interface SlackBotIdentity {
  team: string;
  /** The bot's user id (`U…`) and bot id (`B…`). */
  userId: string;
  botId: string;
}

/** A message posted through the API. */
export interface SlackPostedMessage {
  channel: string;
  ts: string;
  text?: string;
  blocks?: unknown[];
  /** The thread it was posted in (`thread_ts`), if any. */
  threadTs?: string;
  /** The bot that posted it. */
  botId: string;
  edits: number;
}

/** A channel the sink knows: the bot is in it or not. */
export interface ChannelState {
  team: string;
  member: boolean;
  /** For a direct message channel: the user. */
  user?: string;
  /** People known to be in it (they wrote there); unset: anyone is. */
  people?: Set<string>;
}

/** What the Web API remembers. */
export class SlackApiState {
  readonly tokens = new Map<string, SlackBotIdentity>();
  readonly channels = new Map<string, ChannelState>();
  readonly messages: SlackPostedMessage[] = [];
  /** Messages people wrote (what a mention or a DM event is about), and ephemeral ones sent. */
  readonly userMessages: SlackUserMessage[] = [];
  readonly ephemerals: SlackEphemeralMessage[] = [];
  /** Users that do not exist (any other well-formed id does). */
  readonly missingUsers = new Set<string>();
  // Slack's ts is unique in its channel, whoever sent the message: a sink started in the same
  // second as another (two test gateways on one database) must not hand out the same one, or the
  // gateway rightly takes the second message for a repeat of the first.
  #ts = Math.floor(Math.random() * 900_000);

  /** Answers `method` for a request with `token` and `params`; throws SlackError refusals. */
  call(method: string, token: string | null, params: Json, now: number): Json {
    const handler = METHODS[method];
    if (!handler) throw new SlackError("unknown_method");
    if (!token) throw new SlackError("not_authed");
    const bot = this.tokens.get(token);
    if (!bot) throw new SlackError("invalid_auth");
    return { ok: true, ...handler(this, bot, params, now) };
  }

  /** A fresh message timestamp, as Slack writes them (`1700000000.000100`). */
  nextTs(now: number): string {
    this.#ts = (this.#ts + 1) % 1_000_000;
    return `${Math.floor(now / 1000)}.${String(this.#ts).padStart(6, "0")}`;
  }
}

type Method = (state: SlackApiState, bot: SlackBotIdentity, params: Json, now: number) => Json;

const USER = /^[UW][A-Z0-9]{2,20}$/;

const METHODS: Record<string, Method> = {
  "auth.test": (_state, bot) => ({
    url: "https://local.slack.test/",
    team: "Local workspace",
    team_id: bot.team,
    user_id: bot.userId,
    bot_id: bot.botId,
  }),
  "conversations.open": (state, bot, params) => {
    const users = String(params.users ?? "").split(",").map((u) => u.trim()).filter(Boolean);
    if (!users.length) throw new SlackError("users_list_not_supplied");
    if (users.length > 1) throw new SlackError("not_implemented"); // group DMs: not modelled
    const [user] = users;
    if (!USER.test(user) || state.missingUsers.has(user)) throw new SlackError("user_not_found");
    // One channel per user id, its letter included: U0BOB and W0BOB are two people.
    const id = `D${user}`;
    state.channels.set(id, { team: bot.team, member: true, user });
    return { channel: { id } };
  },
  "chat.postMessage": (state, bot, params, now) => {
    const channel = target(state, bot, params.channel);
    const body = content(params);
    checkMessage(body);
    const thread = threadTs(params.thread_ts);
    const message: SlackPostedMessage = {
      channel,
      ts: state.nextTs(now),
      ...body,
      ...(thread ? { threadTs: thread } : {}),
      botId: bot.botId,
      edits: 0,
    };
    state.messages.push(message);
    return { channel, ts: message.ts, message: shown(message, bot) };
  },
  "chat.postEphemeral": (state, bot, params, now) => {
    const channel = target(state, bot, params.channel);
    const body = content(params);
    checkMessage(body);
    return postEphemeral(state, bot, channel, params, body, now);
  },
  "chat.update": (state, bot, params) => {
    const channel = target(state, bot, params.channel);
    const message = state.messages.find((m) => m.channel === channel && m.ts === params.ts);
    if (!message) throw new SlackError("message_not_found");
    if (message.botId !== bot.botId) throw new SlackError("cant_update_message");
    const body = content(params);
    checkMessage(body);
    Object.assign(message, body, { edits: message.edits + 1 });
    return { channel, ts: message.ts, text: message.text ?? "", message: shown(message, bot) };
  },
};

/** The channel a call names, checked: known, of the token's workspace, the bot in it. */
export function target(state: SlackApiState, bot: SlackBotIdentity, given: unknown): string {
  if (typeof given !== "string" || !given) throw new SlackError("channel_not_found");
  const channel = state.channels.get(given);
  if (!channel || channel.team !== bot.team) throw new SlackError("channel_not_found");
  if (!channel.member) throw new SlackError("not_in_channel");
  return given;
}

/** A message's text and blocks as the call gave them. */
export function content(params: Json): { text?: string; blocks?: unknown[] } {
  let blocks = params.blocks;
  // Form-encoded calls carry blocks as JSON text.
  if (typeof blocks === "string") {
    try {
      blocks = JSON.parse(blocks);
    } catch {
      throw new SlackError("invalid_blocks_format");
    }
  }
  return {
    ...(typeof params.text === "string" ? { text: params.text } : {}),
    ...(Array.isArray(blocks) ? { blocks } : {}),
  };
}

function shown(message: SlackPostedMessage, bot: SlackBotIdentity): Json {
  return {
    type: "message",
    user: bot.userId,
    bot_id: bot.botId,
    ts: message.ts,
    text: message.text ?? "",
    ...(message.blocks ? { blocks: message.blocks } : {}),
  };
}
