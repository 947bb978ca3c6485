/**
 * Slack sink helper: the conversation side a mention or a direct message event comes from, and
 * ephemeral messages. A test or the simulator writes a message as a person (`userMessage`): the
 * sink keeps it (its channel, ts, author), opens the person's DM with the bot or puts the bot and
 * the person in the channel, as Slack knows all that before it delivers the event.
 * `chat.postEphemeral` is checked as Slack checks it: the channel as `chat.postMessage` does
 * (`channel_not_found`, `not_in_channel`), a `user` that is a user id (`user_not_found`) and, in a
 * channel whose people the sink knows, one of them (`user_not_in_channel`); `thread_ts` as a
 * message ts (`invalid_arguments`).
 *
 * @module
 */
import { SlackError } from "./slack_blocks.ts";
import type { ChannelState, SlackBotIdentity } from "./slack_api.ts";

type Json = Record<string, unknown>;

/** A message a person wrote. */
export interface SlackUserMessage {
  channel: string;
  ts: string;
  user: string;
  text: string;
  threadTs?: string;
}

/** An ephemeral message: only `user` sees it, until they reload. */
export interface SlackEphemeralMessage {
  channel: string;
  user: string;
  ts: string;
  text?: string;
  blocks?: unknown[];
  threadTs?: string;
  botId: string;
}

/** What the Web API state offers this helper. */
interface State {
  channels: Map<string, ChannelState>;
  userMessages: SlackUserMessage[];
  ephemerals: SlackEphemeralMessage[];
  nextTs(now: number): string;
}

const TS = /^\d{1,12}\.\d{1,8}$/;
const USER = /^[UW][A-Z0-9]{2,20}$/;

/** A `thread_ts` parameter: absent, or a message ts. */
export function threadTs(value: unknown): string | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value !== "string" || !TS.test(value)) throw new SlackError("invalid_arguments");
  return value;
}

/** What writing a message as a person needs: a channel (default: their DM with the bot). */
export interface UserMessageSpec {
  team: string;
  user: string;
  text: string;
  channel?: string;
  threadTs?: string;
}

/** Records a person's message; returns where it is, for the event that reports it. */
export function userMessage(state: State, spec: UserMessageSpec, now: number): SlackUserMessage {
  if (!USER.test(spec.user)) throw new SlackError("user_not_found");
  const channel = spec.channel ?? `D${spec.user}`;
  const known = state.channels.get(channel);
  const people = known?.people ?? new Set<string>();
  people.add(spec.user);
  state.channels.set(channel, {
    team: known?.team ?? spec.team,
    // A DM is the bot's; a channel where someone mentions the app has the app in it.
    member: true,
    ...(spec.channel ? {} : { user: spec.user }),
    people,
  });
  const message: SlackUserMessage = {
    channel,
    ts: state.nextTs(now),
    user: spec.user,
    text: spec.text,
    ...(spec.threadTs ? { threadTs: threadTs(spec.threadTs) } : {}),
  };
  state.userMessages.push(message);
  return message;
}

/** `chat.postEphemeral` once its channel and content were checked. */
export function postEphemeral(
  state: State,
  bot: SlackBotIdentity,
  channel: string,
  params: Json,
  body: { text?: string; blocks?: unknown[] },
  now: number,
): Json {
  const user = params.user;
  if (typeof user !== "string" || !USER.test(user)) throw new SlackError("user_not_found");
  const people = state.channels.get(channel)?.people;
  if (people && !people.has(user)) throw new SlackError("user_not_in_channel");
  const thread = threadTs(params.thread_ts);
  const message: SlackEphemeralMessage = {
    channel,
    user,
    ts: state.nextTs(now),
    ...body,
    ...(thread ? { threadTs: thread } : {}),
    botId: bot.botId,
  };
  state.ephemerals.push(message);
  return { message_ts: message.ts };
}
