/**
 * Sink helper: the sinks' switches over HTTP, so whoever runs the dev stack (a person with curl, a
 * script, the simulator) can make the local platforms behave as the real ones do at their edges,
 * as tests do in-process: rate limits, an injected failure, a user who blocked the bot.
 *
 * - `POST /__sinks/telegram/limits` `{"enabled": true|false}`: flood control (one message a second
 *   per chat, 30 a second per bot; 429 with `retry_after`)
 * - `POST /__sinks/telegram/fail-next` `{"method", "status", "retry_after"?, "description"?,
 *   "times"?}`: the next calls of `method` ("*" for any) fail so
 * - `POST /__sinks/telegram/block` `{"token", "chat_id", "blocked"?}`: the user `chat_id` blocks
 *   the bot of `token` in their private chat (`"blocked": false`: restarts it), as Telegram learns
 *   it from a `my_chat_member` update; sends there answer 403 "bot was blocked by the user"
 * - `POST /__sinks/slack/limits` `{"enabled": true|false}`: `chat.postMessage` limited per channel
 * - `POST /__sinks/slack/fail-next` `{"method"?, "kind"?, "status", "retry_after"?, "error"?,
 *   "times"?}`: the next matching calls fail so (429: `ratelimited` with Retry-After)
 *
 * Each answers 204, or 400 saying what the body must hold.
 *
 * @module
 */
import type { SlackSink } from "./slack.ts";
import type { TelegramSink } from "./telegram.ts";

type Json = Record<string, unknown>;

const isInt = (v: unknown, min: number, max: number) =>
  typeof v === "number" && Number.isInteger(v) && v >= min && v <= max;
const optional = (v: unknown, check: (v: unknown) => boolean) => v === undefined || check(v);
const isText = (v: unknown) => typeof v === "string" && v.length > 0 && v.length <= 200;

/** Answers a Telegram sink switch at `rest` (the path after the mount), or undefined for none. */
export function telegramControl(
  telegram: TelegramSink,
  rest: string,
  req: Request,
): Promise<Response> | undefined {
  switch (rest) {
    case "/limits":
      return limits(req, (on) => telegram.setLimits(on));
    case "/fail-next":
      return control(req, (b) => {
        if (
          !isText(b.method) || !isInt(b.status, 400, 599) ||
          !optional(b.retry_after, (v) => isInt(v, 0, 3600)) ||
          !optional(b.description, isText) || !optional(b.times, (v) => isInt(v, 1, 1000))
        ) {
          return 'method (a Bot API method or "*") and status (400-599) are required; ' +
            "retry_after, times (integers) and description (text) are optional";
        }
        telegram.failNext(b.method as string, {
          status: b.status as number,
          retryAfter: b.retry_after as number | undefined,
          description: b.description as string | undefined,
        }, (b.times as number | undefined) ?? 1);
      });
    case "/block":
      return control(req, (b) => {
        if (
          !isText(b.token) || !isInt(b.chat_id, 1, Number.MAX_SAFE_INTEGER) ||
          !optional(b.blocked, (v) => typeof v === "boolean")
        ) {
          return "token (the bot's) and chat_id (the user's id) are required; blocked " +
            "(true, the default, or false) is optional";
        }
        telegram.noteUpdate(
          b.token as string,
          memberUpdate(b.chat_id as number, b.blocked !== false),
        );
      });
  }
  return undefined;
}

/** Answers a Slack sink switch at `rest`, or undefined for none. */
export function slackControl(
  slack: SlackSink,
  rest: string,
  req: Request,
): Promise<Response> | undefined {
  switch (rest) {
    case "/limits":
      return limits(req, (on) => slack.setLimits(on));
    case "/fail-next":
      return control(req, (b) => {
        if (
          !isInt(b.status, 400, 599) || !optional(b.method, isText) ||
          !optional(b.kind, (v) => v === "api" || v === "response") ||
          !optional(b.retry_after, (v) => isInt(v, 0, 3600)) || !optional(b.error, isText) ||
          !optional(b.times, (v) => isInt(v, 1, 1000))
        ) {
          return "status (400-599) is required; method (e.g. chat.postMessage), kind (api or " +
            "response), error (text), retry_after and times (integers) are optional";
        }
        slack.failNext(
          {
            ...(b.method ? { method: b.method as string } : {}),
            ...(b.kind ? { kind: b.kind as "api" | "response" } : {}),
          },
          {
            status: b.status as number,
            retryAfter: b.retry_after as number | undefined,
            error: b.error as string | undefined,
          },
          (b.times as number | undefined) ?? 1,
        );
      });
  }
  return undefined;
}

function limits(req: Request, set: (on: boolean) => void): Promise<Response> {
  return control(req, (b) => {
    if (typeof b.enabled !== "boolean") return "enabled (true or false) is required";
    set(b.enabled);
  });
}

/** Reads a JSON object body and applies it; `apply` returns what is wrong, if anything. */
async function control(req: Request, apply: (body: Json) => string | void): Promise<Response> {
  if (req.method !== "POST") return Response.json({ error: "method not allowed" }, { status: 405 });
  const body = await req.json().catch(() => null);
  const wrong = typeof body === "object" && body !== null && !Array.isArray(body)
    ? apply(body as Json)
    : "send a JSON object";
  return wrong
    ? Response.json({ error: wrong }, { status: 400 })
    : new Response(null, { status: 204 });
}

/** The update Telegram delivers when a user stops (kicked) or restarts the bot in private. */
function memberUpdate(userId: number, blocked: boolean): Json {
  const user = { id: userId, is_bot: false, first_name: "User" };
  const bot = { id: 0, is_bot: true, first_name: "Bot" };
  return {
    update_id: 0,
    my_chat_member: {
      chat: { id: userId, type: "private", first_name: "User" },
      from: user,
      date: Math.floor(Date.now() / 1000),
      old_chat_member: { user: bot, status: blocked ? "member" : "kicked" },
      new_chat_member: { user: bot, status: blocked ? "kicked" : "member" },
    },
  };
}
