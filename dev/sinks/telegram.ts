/**
 * Telegram Bot API sink: a local stand-in for `https://api.telegram.org` for the dev stack and
 * tests. Paths look like the Bot API (`/bot<token>/<method>`); answers use Telegram's shapes
 * (`{ok:true,result}` or `{ok:false,error_code,description,parameters?}`) and status codes.
 * Webhook and command settings are remembered per bot token; every call is recorded in `sent`.
 * As on Telegram, a bot may write in private only to users who started it: the sink learns them
 * from the updates it is told about (`noteUpdate`), as Telegram knows them from what it delivers,
 * and remembers their messages: a reply (`reply_parameters`) returns the quoted message as
 * `reply_to_message`, and only a message the bot sent can be edited ("message to edit not found").
 * Methods live in `telegram_methods.ts` (messages) and `telegram_settings.ts` (bot settings).
 *
 * @module
 */

import { TelegramFloodControl } from "./flood_control.ts";
import { createRecorder, FailureQueue } from "./recorder.ts";
import { readParams } from "./telegram_params.ts";
import { METHODS } from "./telegram_methods.ts";
import {
  BotState,
  TelegramError,
  type WebhookSettings,
  type WebhookStatus,
} from "./telegram_state.ts";

export type { WebhookSettings, WebhookStatus };

/** One recorded Bot API call. */
export interface SentCall {
  /** Method name as Telegram spells it (`sendMessage`), or as requested when unknown. */
  method: string;
  /** Bot token from the path. */
  token: string;
  /** Parameters merged from the query string and the body (JSON, form or multipart). */
  params: Record<string, unknown>;
  /** Clock time of the call, in milliseconds. */
  time: number;
  /** HTTP status of the answer. */
  status: number;
  /** JSON body of the answer. */
  response: unknown;
}

/** A failure to inject with {@link TelegramSink.failNext}. */
export interface TelegramFailure {
  /** HTTP status and `error_code`, e.g. 429, 500, 403. */
  status: number;
  /** Seconds for `parameters.retry_after` and `Retry-After` (429 only; default 1). */
  retryAfter?: number;
  /** Overrides the default description for the status. */
  description?: string;
}

/** A change to a bot's {@link WebhookStatus}: given fields replace, null clears an error. */
export interface WebhookStatusUpdate {
  pending_update_count?: number;
  last_error_date?: number | null;
  last_error_message?: string | null;
}

/** Options of {@link createTelegramSink}. */
export interface TelegramSinkOptions {
  /** Milliseconds since the epoch; defaults to `Date.now`. */
  clock?: () => number;
  /**
   * Which private chats `sendMessage` may write to. `"started"` (Telegram's rule, the default):
   * users who wrote to the bot in private, as {@link TelegramSink.noteUpdate} tells the sink;
   * others are refused as Telegram refuses them. `"any"`: every user, for stacks whose updates
   * reach the gateway without passing the sink (the dev stack's simulator and curl, benchmarks).
   */
  privateChats?: "started" | "any";
}

/** The Telegram sink: an in-process fake Bot API server. */
export interface TelegramSink {
  /** Answers a request whose path (after the mount prefix) is `/bot<token>/<method>`. */
  handle(req: Request, path: string): Promise<Response>;
  /** Every call so far, oldest first (cleared in place by `reset`). */
  sent: SentCall[];
  /** Recorded calls, optionally only those of one method (case-insensitive). */
  calls(method?: string): SentCall[];
  /** Resolves with the first recorded call (past or future) matching `pred`; rejects on timeout. */
  waitFor(pred: (call: SentCall) => boolean, timeoutMs?: number): Promise<SentCall>;
  /** Makes the next `times` calls of `method` ("*" for any) fail with `response`. */
  failNext(method: string, response: TelegramFailure, times?: number): void;
  /** The webhook a bot token last set (with its secret), or null; for simulators. */
  webhook(token: string): (WebhookSettings & { allowed_updates?: string[] }) | null;
  /**
   * Tells the sink about an update delivered to the bot of `token`, as Telegram knows it before
   * it delivers: who wrote to the bot in private may be written to there (see `privateChats`).
   */
  noteUpdate(token: string, update: unknown): void;
  /**
   * Sets what `getWebhookInfo` reports about deliveries for a bot token, as Telegram would after
   * failing to deliver (pending updates, the last error); fields given replace, null clears.
   */
  setWebhookStatus(token: string, status: WebhookStatusUpdate): void;
  /**
   * Switches Telegram's rate limits on or off (default off): `sendMessage` answers 429 with
   * `retry_after` past one message a second per chat or 30 a second per bot.
   */
  setLimits(enabled: boolean): void;
  /** Makes `threadId` a forum topic of the supergroup `chatId` (others refuse thread ids). */
  addForumTopic(chatId: number, threadId: number): void;
  /** Forgets calls, bot state (webhooks, commands, messages) and pending failures. */
  reset(): void;
}

const TOKEN_PATH = /^\/bot(\d+):([A-Za-z0-9_-]+)\/(?:test\/)?([A-Za-z]+)\/?$/;
const DEFAULT_DESCRIPTIONS: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden: bot was blocked by the user",
  404: "Not Found",
  409: "Conflict",
  500: "Internal Server Error",
  502: "Bad Gateway",
};
/** Creates a Telegram sink with its own state. */
export function createTelegramSink(options: TelegramSinkOptions = {}): TelegramSink {
  const clock = options.clock ?? Date.now;
  const log = createRecorder<SentCall>("telegram sink");
  const sent = log.items;
  const bots = new Map<string, BotState>();
  const failures = new FailureQueue<string, TelegramFailure>();
  const forumTopics = new Map<string, Set<number>>();
  const flood = new TelegramFloodControl();

  const anyPrivateChat = options.privateChats === "any";

  function botFor(token: string): BotState {
    let bot = bots.get(token);
    if (!bot) {
      const id = Number(token.split(":")[0]);
      bots.set(token, bot = new BotState(id, forumTopics, anyPrivateChat));
    }
    return bot;
  }

  async function handle(req: Request, path: string): Promise<Response> {
    const match = TOKEN_PATH.exec(path);
    const time = clock();
    const token = match ? `${match[1]}:${match[2]}` : "";
    const requested = match?.[3] ?? path.split("/").pop() ?? "";
    const entry = match ? METHODS.get(requested.toLowerCase()) : undefined;
    const method = entry?.name ?? requested;
    let params: Record<string, unknown> = {};
    let status: number;
    let body: Record<string, unknown>;
    const headers: Record<string, string> = {};
    let wait = 0;
    try {
      params = await readParams(req);
      const failure = match && failures.take((m) => m === "*" || m === method.toLowerCase());
      if (failure) {
        status = failure.status;
        const retryAfter = Math.max(0, Math.round(failure.retryAfter ?? 1));
        if (status === 429) headers["retry-after"] = String(retryAfter);
        body = errorBody(
          status,
          failure.description ??
            (status === 429
              ? `Too Many Requests: retry after ${retryAfter}`
              : DEFAULT_DESCRIPTIONS[status] ?? "Error"),
          status === 429 ? { retry_after: retryAfter } : undefined,
        );
      } else if (!entry) {
        status = 404;
        body = errorBody(404, "Not Found");
      } else if (
        entry.name === "sendMessage" && (wait = flood.check(token, params.chat_id, time)) > 0
      ) {
        status = 429;
        headers["retry-after"] = String(wait);
        body = errorBody(429, `Too Many Requests: retry after ${wait}`, { retry_after: wait });
      } else {
        const out = entry.run(botFor(token), params, Math.floor(time / 1000));
        status = 200;
        body = { ok: true, result: out.result };
        if (out.description) body.description = out.description;
      }
    } catch (err) {
      if (!(err instanceof TelegramError)) throw err;
      status = err.status;
      body = errorBody(err.status, err.message);
    }
    log.record({ method, token, params, time, status, response: body });
    return reply(status, body, headers);
  }

  return {
    handle,
    sent,
    calls: (method) =>
      method === undefined
        ? [...sent]
        : sent.filter((c) => c.method.toLowerCase() === method.toLowerCase()),
    waitFor: (pred, timeoutMs = 2000) => log.waitFor(pred, timeoutMs),
    failNext(method, response, times = 1) {
      failures.push(method.toLowerCase(), response, times);
    },
    webhook(token) {
      const bot = bots.get(token);
      if (!bot?.webhook) return null;
      const out: WebhookSettings & { allowed_updates?: string[] } = { ...bot.webhook };
      if (bot.allowedUpdates) out.allowed_updates = [...bot.allowedUpdates];
      return out;
    },
    noteUpdate(token, update) {
      botFor(token).note(update);
    },
    setWebhookStatus(token, update) {
      const bot = botFor(token);
      const { last_error_date: date, last_error_message: message } = update;
      const next: WebhookStatus = { ...bot.status };
      next.pending_update_count = update.pending_update_count ?? next.pending_update_count;
      if (date === null) delete next.last_error_date;
      else if (date !== undefined) next.last_error_date = date;
      if (message === null) delete next.last_error_message;
      else if (message !== undefined) next.last_error_message = message;
      bot.status = next;
    },
    setLimits(enabled) {
      flood.enabled = enabled;
      flood.clear();
    },
    addForumTopic(chatId, threadId) {
      const topics = forumTopics.get(String(chatId)) ?? new Set();
      forumTopics.set(String(chatId), topics.add(threadId));
    },
    reset() {
      sent.length = 0;
      forumTopics.clear();
      bots.clear();
      failures.clear();
      flood.clear();
    },
  };
}

function errorBody(
  code: number,
  description: string,
  parameters?: Record<string, unknown>,
): Record<string, unknown> {
  const body: Record<string, unknown> = { ok: false, error_code: code, description };
  if (parameters) body.parameters = parameters;
  return body;
}

function reply(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return Response.json(body, { status, headers });
}
