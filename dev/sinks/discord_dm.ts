/**
 * Discord sink helper: direct messages from a bot. `POST /users/@me/channels {recipient_id}`
 * opens (or returns the existing) DM channel; `POST /channels/{id}/messages` posts in it, with
 * Discord's answers: 401 without a bot token, 404 Unknown Channel (10003), 403 "Cannot send
 * messages to this user" (50007) for a user who does not accept DMs from the bot, 404 Unknown
 * User (10013) for one Discord does not know, the message checks of interaction webhooks, and,
 * when limits are on, per-channel buckets of 5 messages per 5 s and 50 requests a second per
 * bot, with `X-RateLimit-*` headers and 429 `retry_after` (see flood_control.ts).
 *
 * @module
 */
import { DiscordError } from "./discord_errors.ts";
import { isEmptyMessage, validateMessageBody } from "./discord_messages.ts";
import { Window } from "./flood_control.ts";

type Json = Record<string, unknown>;

/** An answer: status, JSON body, headers. */
export interface DmAnswer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** The DM channels and messages the sink has seen, and its rules for who may be written to. */
export class DirectMessages {
  limits = false;
  /** Users who do not accept direct messages from the bot (50007). */
  readonly closed = new Set<string>();
  /** User ids Discord does not know (10013). */
  readonly unknown = new Set<string>();
  readonly #channels = new Map<string, string>();
  readonly #recipients = new Map<string, string>();
  readonly #messages = new Map<string, Json[]>();
  readonly #perChannel = new Window(5, 5_000);
  readonly #perBot = new Window(50, 1_000);

  constructor(readonly snowflake: (nowMs: number) => string) {}

  /** The messages posted to `userId`'s DM channel, oldest first. */
  messagesTo(userId: string): Json[] {
    const channel = this.#channels.get(userId);
    return channel ? [...(this.#messages.get(channel) ?? [])] : [];
  }

  clear(): void {
    this.closed.clear();
    this.unknown.clear();
    this.#channels.clear();
    this.#recipients.clear();
    this.#messages.clear();
    this.#perChannel.clear();
    this.#perBot.clear();
  }

  /** Answers `/users/@me/channels` and `/channels/{id}/messages`, or undefined for other paths. */
  route(req: Request, sub: string, body: unknown, now: number): DmAnswer | undefined {
    const open = sub === "/users/@me/channels";
    const post = /^\/channels\/(\d+)\/messages$/.exec(sub);
    if (!open && !post) return undefined;
    if (req.method.toUpperCase() !== "POST") {
      throw new DiscordError(405, { message: "405: Method Not Allowed", code: 0 });
    }
    const auth = req.headers.get("authorization") ?? "";
    if (!/^Bot \S+$/.test(auth)) {
      throw new DiscordError(401, { message: "401: Unauthorized", code: 0 });
    }
    if (this.limits) {
      const wait = this.#perBot.take(auth, now);
      if (wait > 0) return limited(wait, true);
    }
    const fields = (body && typeof body === "object" ? body : {}) as Json;
    return open ? this.#open(fields, now) : this.#post(post![1], fields, now);
  }

  #open(fields: Json, now: number): DmAnswer {
    const recipient = String(fields.recipient_id ?? "");
    if (!/^\d{1,20}$/.test(recipient) || this.unknown.has(recipient)) {
      throw new DiscordError(404, { message: "Unknown User", code: 10013 });
    }
    let id = this.#channels.get(recipient);
    if (!id) {
      id = this.snowflake(now);
      this.#channels.set(recipient, id);
      this.#recipients.set(id, recipient);
    }
    return {
      status: 200,
      body: {
        id,
        type: 1,
        last_message_id: null,
        flags: 0,
        recipients: [{ id: recipient, username: `user${recipient}`, discriminator: "0" }],
      },
    };
  }

  #post(channel: string, fields: Json, now: number): DmAnswer {
    const recipient = this.#recipients.get(channel);
    if (!recipient) throw new DiscordError(404, { message: "Unknown Channel", code: 10003 });
    let headers: Record<string, string> | undefined;
    if (this.limits) {
      const wait = this.#perChannel.take(channel, now);
      if (wait > 0) return limited(wait, false);
      const { remaining, resetAfterMs } = this.#perChannel.state(channel, now);
      headers = bucketHeaders(remaining, resetAfterMs, now);
    }
    if (this.closed.has(recipient)) {
      throw new DiscordError(403, { message: "Cannot send messages to this user", code: 50007 });
    }
    validateMessageBody(fields);
    const message: Json = {
      id: this.snowflake(now),
      type: 0,
      channel_id: channel,
      content: typeof fields.content === "string" ? fields.content : "",
      components: Array.isArray(fields.components) ? fields.components : [],
      embeds: [],
      attachments: [],
      timestamp: new Date(now).toISOString(),
    };
    if (isEmptyMessage(message)) {
      throw new DiscordError(400, { message: "Cannot send an empty message", code: 50006 });
    }
    const list = this.#messages.get(channel) ?? [];
    list.push(message);
    this.#messages.set(channel, list);
    return { status: 200, body: message, headers };
  }
}

function bucketHeaders(remaining: number, resetAfterMs: number, now: number) {
  return {
    "x-ratelimit-limit": "5",
    "x-ratelimit-remaining": String(remaining),
    "x-ratelimit-reset": ((now + resetAfterMs) / 1000).toFixed(3),
    "x-ratelimit-reset-after": (resetAfterMs / 1000).toFixed(3),
    "x-ratelimit-bucket": "dm-messages",
  };
}

function limited(waitMs: number, global: boolean): DmAnswer {
  const seconds = Math.max(0.001, waitMs / 1000);
  return {
    status: 429,
    body: { message: "You are being rate limited.", retry_after: seconds, global },
    headers: {
      "retry-after": String(Math.ceil(seconds)),
      "x-ratelimit-scope": global ? "global" : "user",
      ...(global ? { "x-ratelimit-global": "true" } : {}),
    },
  };
}
