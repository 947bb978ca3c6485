/**
 * Discord REST sink: a local stand-in for `https://discord.com/api/v10` for the dev stack and
 * tests. It serves interaction webhooks (edit/get/delete `@original`, follow-ups) for tokens
 * registered with `registerInteraction` (valid 15 minutes, like Discord), application
 * command bulk overwrite/list, and `GET`/`PATCH /applications/@me` for the applications it was
 * told about with `registerApplication` (see `discord_applications.ts`), answering with Discord's
 * status codes and JSON error shapes. Every call is recorded in `calls` (Authorization values
 * redacted).
 *
 * @module
 */

import { ApplicationStore, type SinkApplication } from "./discord_applications.ts";
import { CommandStore } from "./discord_commands.ts";
import { DiscordError, httpError, snowflakes } from "./discord_errors.ts";
import { DirectMessages } from "./discord_dm.ts";
import { type InteractionState, InteractionStore } from "./discord_messages.ts";
import { createRecorder, FailureQueue } from "./recorder.ts";

export type { InteractionState, SinkApplication };

/** One recorded REST call. */
export interface DiscordCall {
  /** HTTP method, upper case. */
  method: string;
  /** Path after the mount prefix, e.g. `/api/v10/webhooks/1/tok/messages/@original`. */
  path: string;
  /** Request headers, lower-case names; the Authorization credential is redacted. */
  headers: Record<string, string>;
  /** Parsed JSON body (`payload_json` for multipart), or undefined. */
  body: unknown;
  /** HTTP status of the answer. */
  status: number;
  /** Clock time of the call, in milliseconds. */
  time: number;
  /** JSON body of the answer (null for 204). */
  response: unknown;
}

/** Which calls {@link DiscordSink.failNext} applies to; omitted fields match anything. */
export interface DiscordFailureMatch {
  /** HTTP method (case-insensitive). */
  method?: string;
  /** Substring of the path. */
  pathIncludes?: string;
}

/** A failure to inject with {@link DiscordSink.failNext}. */
export interface DiscordFailure {
  /** HTTP status, e.g. 429 or 500. */
  status: number;
  /** Seconds (float) for `retry_after`; default 1. */
  retryAfter?: number;
  /** Marks a 429 as the global rate limit. */
  global?: boolean;
}

/** Options of {@link createDiscordSink}. */
export interface DiscordSinkOptions {
  /** Milliseconds since the epoch; defaults to `Date.now`. */
  clock?: () => number;
  /** Lifetime of an interaction token; default 15 minutes. */
  tokenTtlMs?: number;
  /** Reaches the interactions endpoint URLs the sink verifies; defaults to `fetch`. */
  fetch?: typeof fetch;
}

/** The Discord sink: an in-process fake Discord REST API. */
export interface DiscordSink {
  /** Answers a request whose path (after the mount prefix) starts with `/api/v10`. */
  handle(req: Request, path: string): Promise<Response>;
  /** Every call so far, oldest first (cleared in place by `reset`). */
  calls: DiscordCall[];
  /** Resolves with the first recorded call (past or future) matching `pred`; rejects on timeout. */
  waitFor(pred: (call: DiscordCall) => boolean, timeoutMs?: number): Promise<DiscordCall>;
  /** Makes the next `times` matching calls fail with `response`. */
  failNext(match: DiscordFailureMatch, response: DiscordFailure, times?: number): void;
  /** Makes an interaction token usable (as Discord does when it delivers the interaction). */
  registerInteraction(applicationId: string, token: string): void;
  /** The messages of a registered interaction token, or undefined; for simulators. */
  interaction(token: string): InteractionState | undefined;
  /** Stored application commands (global, or of one guild). */
  commands(applicationId: string, guildId?: string): unknown[];
  /**
   * Makes an application known, as it is to Discord: its bot token then authenticates
   * `/applications/@me` and its commands (others' tokens are refused there); with its private
   * key, a new interactions endpoint URL is verified by signed PINGs.
   */
  registerApplication(app: SinkApplication): void;
  /** A known application as `GET /applications/@me` answers it, or undefined. */
  application(applicationId: string): Record<string, unknown> | undefined;
  /** The direct messages a bot posted to `userId`, oldest first. */
  directMessages(userId: string): Record<string, unknown>[];
  /** Makes `userId` refuse direct messages from bots (403, 50007). */
  refuseDirectMessages(userId: string): void;
  /** Switches the rate limits of direct messages on or off (default off). */
  setLimits(enabled: boolean): void;
  /** Delays every answer by `ms` (a slow Discord, for tests that need calls to overlap). */
  setLatency(ms: number): void;
  /** Forgets calls, interactions, commands, direct messages, pending failures and endpoint URLs. */
  reset(): void;
}

interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** Creates a Discord sink with its own state. */
export function createDiscordSink(options: DiscordSinkOptions = {}): DiscordSink {
  const clock = options.clock ?? Date.now;
  const snowflake = snowflakes();
  const log = createRecorder<DiscordCall>("discord sink");
  const interactions = new InteractionStore(snowflake, options.tokenTtlMs ?? 15 * 60_000);
  const commands = new CommandStore(snowflake);
  const applications = new ApplicationStore(options.fetch ?? ((input, init) => fetch(input, init)));
  const dms = new DirectMessages(snowflake);
  const failures = new FailureQueue<DiscordFailureMatch, DiscordFailure>();

  async function route(req: Request, path: string, body: unknown, now: number): Promise<Answer> {
    const method = req.method.toUpperCase();
    const sub = /^\/api\/v10(\/.*?)\/?$/.exec(path)?.[1];
    if (sub === undefined) throw httpError(404);
    const dm = dms.route(req, sub, body, now);
    if (dm) return dm;
    let m = /^\/webhooks\/(\d+)\/([^/]+)(?:\/messages\/(@original|\d+))?$/.exec(sub);
    if (m) {
      const result = interactions.route(method, [m[1], m[2], m[3]], body, now);
      return result === undefined ? { status: 204 } : { status: 200, body: result };
    }
    if (sub === "/applications/@me") return { status: 200, body: await applications.me(req, body) };
    m = /^\/applications\/(\d+)(?:\/guilds\/(\d+))?\/commands$/.exec(sub);
    if (m) {
      applications.checkCommandAccess(m[1], req);
      return { status: 200, body: commands.route(req, body, m[1], m[2], now) };
    }
    throw httpError(404);
  }

  let latencyMs = 0;

  async function handle(req: Request, rawPath: string): Promise<Response> {
    if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs));
    const path = rawPath.split("?")[0];
    const method = req.method.toUpperCase();
    const time = clock();
    const headers = redactedHeaders(req.headers);
    let body: unknown;
    let answer: Answer;
    try {
      body = await readBody(req);
      const failure = failures.take((m) =>
        (!m.method || m.method.toUpperCase() === method) &&
        (!m.pathIncludes || path.includes(m.pathIncludes))
      );
      answer = failure ? failureAnswer(failure, time) : await route(req, path, body, time);
    } catch (err) {
      if (!(err instanceof DiscordError)) throw err;
      answer = { status: err.status, body: err.body };
    }
    const response = answer.body ?? null;
    log.record({ method, path, headers, body, status: answer.status, time, response });
    if (answer.body === undefined) return new Response(null, { status: answer.status });
    return Response.json(answer.body, { status: answer.status, headers: answer.headers });
  }

  return {
    handle,
    calls: log.items,
    waitFor: (pred, timeoutMs = 2000) => log.waitFor(pred, timeoutMs),
    failNext: (match, response, times = 1) => failures.push(match, response, times),
    registerInteraction: (applicationId, token) =>
      interactions.register(applicationId, token, clock()),
    interaction: (token) => interactions.get(token),
    commands: (applicationId, guildId) => commands.list(applicationId, guildId),
    registerApplication: (app) => applications.register(app),
    application: (applicationId) => applications.get(applicationId),
    directMessages: (userId) => dms.messagesTo(userId),
    refuseDirectMessages: (userId) => void dms.closed.add(userId),
    setLimits(enabled) {
      dms.limits = enabled;
    },
    setLatency(ms) {
      latencyMs = ms;
    },
    reset() {
      applications.reset();
      dms.clear();
      log.items.length = 0;
      interactions.clear();
      commands.clear();
      failures.clear();
    },
  };
}

/** A 429 like Discord's (body and headers), or Discord's generic error for other statuses. */
function failureAnswer(f: DiscordFailure, now: number): Answer {
  if (f.status !== 429) throw httpError(f.status);
  const retryAfter = f.retryAfter ?? 1;
  const headers: Record<string, string> = {
    "retry-after": String(Math.ceil(retryAfter)),
    "x-ratelimit-scope": f.global ? "global" : "user",
  };
  if (f.global) headers["x-ratelimit-global"] = "true";
  else {
    Object.assign(headers, {
      "x-ratelimit-limit": "5",
      "x-ratelimit-remaining": "0",
      "x-ratelimit-reset": (now / 1000 + retryAfter).toFixed(3),
      "x-ratelimit-reset-after": retryAfter.toFixed(3),
      "x-ratelimit-bucket": "sink",
    });
  }
  const body = {
    message: "You are being rate limited.",
    retry_after: retryAfter,
    global: !!f.global,
  };
  return { status: 429, body, headers };
}

function redactedHeaders(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of headers) {
    out[name] = name === "authorization" ? `${value.split(" ")[0]} [redacted]` : value;
  }
  return out;
}

/** Reads a JSON body, or `payload_json` (+ files as attachments) from multipart. */
async function readBody(req: Request): Promise<unknown> {
  if (!req.body || req.method === "GET" || req.method === "HEAD") return undefined;
  const invalid = () =>
    new DiscordError(400, { message: "The request body contains invalid JSON.", code: 50109 });
  const type = (req.headers.get("content-type") ?? "").toLowerCase();
  if (type.includes("multipart/form-data")) {
    const form = await req.formData().catch(() => {
      throw invalid();
    });
    let body: Record<string, unknown> = {};
    const raw = form.get("payload_json");
    if (typeof raw === "string") {
      try {
        body = JSON.parse(raw);
      } catch {
        throw invalid();
      }
    }
    const files = [...form.values()].filter((v): v is File => typeof v !== "string");
    if (files.length) {
      body.attachments = files.map((f, id) => ({ id, filename: f.name, size: f.size }));
    }
    return body;
  }
  const text = await req.text();
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw invalid();
  }
}
