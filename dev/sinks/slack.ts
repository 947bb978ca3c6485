/**
 * Slack sink: a local stand-in for Slack for the dev stack and tests. Under its mount it serves
 * the Web API at `/api/<method>` (`slack_api.ts`: `auth.test`, `conversations.open`,
 * `chat.postMessage`, `chat.postEphemeral`, `chat.update`; point `SLACK_API_BASE` at
 * `<mount>/api`), people's messages that mentions and DMs are about (`userMessage`,
 * `slack_conversation.ts`) and response URLs
 * at `/commands/…` and `/actions/…` (`slack_responses.ts`: five posts within 30 minutes), with
 * Slack's answers: `{ok:false,error}` with HTTP 200 from the Web API, 404s from a used or expired
 * response URL, 429 `ratelimited` with `Retry-After` when a failure is injected or, after
 * `setLimits(true)`, past Slack's limit of `chat.postMessage` per channel (`flood_control.ts`).
 * Bot tokens, and the channels the bot is in, are given to it (`addBot`, `addChannel`); every call is recorded in
 * `calls` (Authorization values redacted).
 *
 * @module
 */
import { SlackPostLimit } from "./flood_control.ts";
import { createRecorder, FailureQueue } from "./recorder.ts";
import {
  SlackApiState,
  type SlackBotIdentity,
  type SlackEphemeralMessage,
  type SlackPostedMessage,
  type SlackUserMessage,
} from "./slack_api.ts";
import { userMessage, type UserMessageSpec } from "./slack_conversation.ts";
import { SlackError } from "./slack_blocks.ts";
import {
  RESPONSE_URL_TTL_MS,
  ResponseUrlSpec,
  type ResponseUrlState,
  ResponseUrlStore,
} from "./slack_responses.ts";

export type {
  ResponseUrlSpec,
  ResponseUrlState,
  SlackBotIdentity,
  SlackEphemeralMessage,
  SlackPostedMessage,
  SlackUserMessage,
  UserMessageSpec,
};

/** One recorded call. */
export interface SlackCall {
  /** `api` (the Web API) or `response` (a response URL). */
  kind: "api" | "response";
  /** The API method (`chat.postMessage`), or `response`. */
  method: string;
  /** Path after the mount prefix. */
  path: string;
  /** Request headers, lower-case names; the Authorization credential is redacted. */
  headers: Record<string, string>;
  /** The parsed body (JSON, or form fields), or undefined. */
  body: unknown;
  status: number;
  /** Clock time of the call, in milliseconds. */
  time: number;
  /** The JSON answer. */
  response: unknown;
}

/** Which calls {@link SlackSink.failNext} applies to; omitted fields match anything. */
export interface SlackFailureMatch {
  kind?: SlackCall["kind"];
  /** API method name. */
  method?: string;
}

/** A failure to inject: an HTTP status (429: `ratelimited` with Retry-After) or an API error. */
export interface SlackFailure {
  status: number;
  /** Seconds for Retry-After (429 only; default 1). */
  retryAfter?: number;
  /** The `error` code (e.g. `channel_not_found` with status 200). */
  error?: string;
}

/** Options of {@link createSlackSink}. */
export interface SlackSinkOptions {
  /** Milliseconds since the epoch; defaults to `Date.now`. */
  clock?: () => number;
  /** Lifetime of a response URL; default 30 minutes. */
  responseUrlTtlMs?: number;
}

/** The Slack sink: an in-process fake Slack. */
export interface SlackSink {
  /** Answers a request whose path (after the mount prefix) is `/api/…` or a response URL's. */
  handle(req: Request, path: string): Promise<Response>;
  /** Every call so far, oldest first (cleared in place by `reset`). */
  calls: SlackCall[];
  /** Resolves with the first recorded call (past or future) matching `pred`; rejects on timeout. */
  waitFor(pred: (call: SlackCall) => boolean, timeoutMs?: number): Promise<SlackCall>;
  /** Makes the next `times` matching calls fail with `failure`. */
  failNext(match: SlackFailureMatch, failure: SlackFailure, times?: number): void;
  /** Makes a bot token valid, for the workspace and bot it names. */
  addBot(token: string, bot: SlackBotIdentity): void;
  /** Makes a channel known in a workspace; `member`: the bot was added to it. */
  addChannel(id: string, team: string, member: boolean): void;
  /**
   * Switches Slack's rate limit on or off (default off): `chat.postMessage` answers 429
   * `ratelimited` with Retry-After past about one message a second per channel.
   */
  setLimits(enabled: boolean): void;
  /** Makes a user id unknown to `conversations.open` (`user_not_found`). */
  removeUser(id: string): void;
  /**
   * Registers a response URL under `base` (the sink's mount URL), as Slack does when it delivers
   * a slash command or an interaction; returns the URL.
   */
  responseUrl(base: string, spec: ResponseUrlSpec): string;
  /** A response URL's state (posts, the original message), if registered. */
  response(url: string): ResponseUrlState | undefined;
  /** Messages posted through the Web API. */
  messages: SlackPostedMessage[];
  /** Ephemeral messages posted through the Web API (`chat.postEphemeral`). */
  ephemerals: SlackEphemeralMessage[];
  /**
   * Writes a message as a person, in their DM with the bot (no `channel`) or in a channel (the
   * bot and the person then in it), as Slack has it before it sends the event about it; returns
   * its channel and ts. Throws for a user id that is not one.
   */
  userMessage(spec: UserMessageSpec): SlackUserMessage;
  /** Forgets calls, messages, response URLs and pending failures (bots and channels stay). */
  reset(): void;
}

/** Creates a Slack sink with its own state. */
export function createSlackSink(options: SlackSinkOptions = {}): SlackSink {
  const clock = options.clock ?? Date.now;
  const log = createRecorder<SlackCall>("slack sink");
  const api = new SlackApiState();
  const responses = new ResponseUrlStore(options.responseUrlTtlMs ?? RESPONSE_URL_TTL_MS);
  const failures = new FailureQueue<SlackFailureMatch, SlackFailure>();
  const limit = new SlackPostLimit();

  async function handle(req: Request, rawPath: string): Promise<Response> {
    const path = rawPath.split("?")[0];
    const time = clock();
    const apiMethod = /^\/api\/([A-Za-z.]+)$/.exec(path)?.[1];
    const kind: SlackCall["kind"] = apiMethod ? "api" : "response";
    const method = apiMethod ?? "response";
    const headers = redactedHeaders(req.headers);
    let body: unknown;
    let status = 200;
    let answer: Record<string, unknown>;
    const extra: Record<string, string> = {};
    try {
      if (req.method !== "POST") throw new SlackError("method_not_allowed", 405);
      body = await readBody(req).catch((err) => {
        // A response URL answers unreadable JSON as an incoming webhook does.
        throw kind === "response" && err instanceof SlackError
          ? new SlackError("invalid_payload", 400)
          : err;
      });
      const failure = failures.take((m) =>
        (!m.kind || m.kind === kind) && (!m.method || m.method === method)
      );
      if (failure) {
        status = failure.status;
        if (status === 429) extra["retry-after"] = String(failure.retryAfter ?? 1);
        throw new SlackError(
          failure.error ?? (status === 429 ? "ratelimited" : "internal_error"),
          status,
        );
      }
      const wait = apiMethod === "chat.postMessage"
        ? limit.check(token(req, body) ?? "", (body as { channel?: unknown })?.channel, time)
        : 0;
      if (wait > 0) {
        status = 429;
        extra["retry-after"] = String(wait);
        throw new SlackError("ratelimited", 429);
      }
      if (apiMethod) {
        answer = api.call(
          apiMethod,
          token(req, body),
          (body ?? {}) as Record<string, unknown>,
          time,
        );
      } else answer = responses.post(path, body, time);
    } catch (err) {
      if (!(err instanceof SlackError)) throw err;
      status = err.status;
      answer = { ok: false, error: err.error, ...(err.errors ? { errors: err.errors } : {}) };
    }
    log.record({ kind, method, path, headers, body, status, time, response: answer });
    return Response.json(answer, { status, headers: extra });
  }

  return {
    handle,
    calls: log.items,
    waitFor: (pred, timeoutMs = 2000) => log.waitFor(pred, timeoutMs),
    failNext: (match, failure, times = 1) => failures.push(match, failure, times),
    addBot: (token, bot) => api.tokens.set(token, bot),
    addChannel: (id, team, member) => api.channels.set(id, { team, member }),
    setLimits(enabled) {
      limit.enabled = enabled;
      limit.clear();
    },
    removeUser: (id) => api.missingUsers.add(id),
    responseUrl: (base, spec) => responses.register(base.replace(/\/+$/, ""), spec, clock()).url,
    response: (url) => responses.get(url),
    messages: api.messages,
    ephemerals: api.ephemerals,
    userMessage: (spec) => userMessage(api, spec, clock()),
    reset() {
      log.items.length = 0;
      api.messages.length = 0;
      api.ephemerals.length = 0;
      api.userMessages.length = 0;
      responses.clear();
      failures.clear();
      limit.clear();
    },
  };
}

/** The token of an API call: `Authorization: Bearer …`, else a `token` field. */
function token(req: Request, body: unknown): string | null {
  const bearer = /^Bearer (.+)$/.exec(req.headers.get("authorization") ?? "")?.[1];
  if (bearer) return bearer;
  const field = (body as { token?: unknown } | undefined)?.token;
  return typeof field === "string" && field ? field : null;
}

/** A JSON body, or form fields; `invalid_json` for JSON Slack could not read. */
async function readBody(req: Request): Promise<unknown> {
  const type = (req.headers.get("content-type") ?? "").toLowerCase();
  const text = await req.text();
  if (type.includes("application/x-www-form-urlencoded")) {
    return Object.fromEntries(new URLSearchParams(text));
  }
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new SlackError("invalid_json", 200);
  }
}

function redactedHeaders(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of headers) {
    out[name] = name === "authorization" ? `${value.split(" ")[0]} [redacted]` : value;
  }
  return out;
}
