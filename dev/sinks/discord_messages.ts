/**
 * Discord sink helper: interaction webhooks. Tokens become usable when registered (as when
 * Discord delivers an interaction) and expire after 15 minutes (401, code 50027); unknown
 * tokens answer 404 `Unknown Webhook` (10015). Serves `POST /webhooks/{app}/{token}`
 * (follow-up) and `GET`/`PATCH`/`DELETE /webhooks/{app}/{token}/messages/{@original|id}`,
 * validating message bodies like Discord (content <= 2000, <= 10 embeds, no empty message).
 *
 * @module
 */

import {
  addError,
  DiscordError,
  type FormErrors,
  httpError,
  lengthMessage,
  throwIfInvalid,
} from "./discord_errors.ts";

type Json = Record<string, unknown>;

/** Messages of one registered interaction token. */
export interface InteractionState {
  /** Application the token belongs to. */
  applicationId: string;
  /** Clock time of registration, in milliseconds. */
  registeredAt: number;
  /** Channel the messages appear in. */
  channelId: string;
  /** The `@original` response message, once edited in. */
  original: Json | null;
  /** Follow-up messages by id. */
  followups: Map<string, Json>;
}

const EDITABLE = ["content", "embeds", "components", "attachments", "poll"];
const IS_COMPONENTS_V2 = 1 << 15;
const unknownMessage = () => new DiscordError(404, { message: "Unknown Message", code: 10008 });

/** Checks the fields a message body may carry (content, embeds, components) like Discord. */
export function validateMessageBody(body: Json): void {
  const errors: FormErrors = {};
  const { content, embeds, components } = body;
  if (typeof content === "string" && content.length > 2000) {
    addError(errors, ["content"], "BASE_TYPE_MAX_LENGTH", lengthMessage.max(2000));
  } else if (content !== undefined && content !== null && typeof content !== "string") {
    addError(errors, ["content"], "BASE_TYPE_STRING", "Could not interpret value as string.");
  }
  if (Array.isArray(embeds) && embeds.length > 10) {
    addError(errors, ["embeds"], "BASE_TYPE_MAX_LENGTH", lengthMessage.max(10));
  } else if (Array.isArray(embeds)) {
    embeds.forEach((embed, i) => {
      for (const [field, max] of [["title", 256], ["description", 4096]] as const) {
        const value = (embed as Json | null)?.[field];
        if (typeof value === "string" && value.length > max) {
          addError(errors, ["embeds", i, field], "BASE_TYPE_MAX_LENGTH", lengthMessage.max(max));
        }
      }
    });
  }
  const v2 = (Number(body.flags ?? 0) & IS_COMPONENTS_V2) !== 0;
  if (Array.isArray(components) && !v2 && components.length > 5) {
    addError(errors, ["components"], "BASE_TYPE_MAX_LENGTH", lengthMessage.max(5));
  }
  throwIfInvalid(errors);
}

/** True when a (merged) message would have nothing to show: Discord's error 50006. */
export function isEmptyMessage(message: Json): boolean {
  const has = (v: unknown) => Array.isArray(v) && v.length > 0;
  const v2 = (Number(message.flags ?? 0) & IS_COMPONENTS_V2) !== 0;
  return !(typeof message.content === "string" && message.content.trim() !== "") &&
    !has(message.embeds) && !has(message.attachments) && !has(message.sticker_ids) &&
    !message.poll && !(v2 && has(message.components));
}

/** Registered interaction tokens and the messages sent through them. */
export class InteractionStore {
  #tokens = new Map<string, InteractionState>();

  /** Creates a store; ids come from `snowflake(nowMs)`, tokens live `ttlMs`. */
  constructor(readonly snowflake: (nowMs: number) => string, readonly ttlMs: number) {}

  /** Makes `token` usable for `applicationId` from `now` on. */
  register(applicationId: string, token: string, now: number): void {
    const channelId = this.snowflake(now);
    this.#tokens.set(token, {
      applicationId,
      registeredAt: now,
      channelId,
      original: null,
      followups: new Map(),
    });
  }

  /** The state of a token, if registered. */
  get(token: string): InteractionState | undefined {
    return this.#tokens.get(token);
  }

  /** Forgets every token. */
  clear(): void {
    this.#tokens.clear();
  }

  /** Answers a webhook request; `undefined` result means 204. Throws {@link DiscordError}. */
  route(method: string, ids: [string, string, string | undefined], body: unknown, now: number) {
    const [applicationId, token, messageId] = ids;
    const allowed = messageId === undefined ? ["POST"] : ["GET", "PATCH", "DELETE"];
    if (!allowed.includes(method)) throw httpError(405);
    const state = this.#tokens.get(token);
    if (!state || state.applicationId !== applicationId) {
      throw new DiscordError(404, { message: "Unknown Webhook", code: 10015 });
    }
    if (now - state.registeredAt >= this.ttlMs) {
      throw new DiscordError(401, { message: "Invalid Webhook Token", code: 50027 });
    }
    const fields = (body && typeof body === "object" ? body : {}) as Json;
    if (messageId === undefined) {
      validateMessageBody(fields);
      const message = this.#apply(this.#blank(state, now, 0), fields);
      message.flags = Number(fields.flags ?? 0) & (4 | 64 | 4096 | IS_COMPONENTS_V2);
      state.followups.set(String(message.id), message);
      return message;
    }
    const original = messageId === "@original";
    const existing = original ? state.original : state.followups.get(messageId) ?? null;
    if (!existing && !(original && method === "PATCH")) throw unknownMessage();
    if (method === "GET") return existing;
    if (method === "DELETE") {
      if (original) state.original = null;
      else state.followups.delete(messageId);
      return undefined;
    }
    validateMessageBody(fields);
    const message = this.#apply(existing ?? this.#blank(state, now, 20), fields);
    message.edited_timestamp = new Date(now).toISOString();
    if (original) state.original = message;
    else state.followups.set(messageId, message);
    return message;
  }

  #apply(message: Json, body: Json): Json {
    const out = { ...message };
    for (const key of EDITABLE) {
      if (key in body) {
        out[key] = body[key] ?? (key === "content" ? "" : key === "poll" ? null : []);
      }
    }
    if (isEmptyMessage(out)) {
      throw new DiscordError(400, { message: "Cannot send an empty message", code: 50006 });
    }
    return out;
  }

  #blank(state: InteractionState, now: number, type: number): Json {
    const author = {
      id: state.applicationId,
      username: "Sink App",
      avatar: null,
      discriminator: "0000",
      public_flags: 0,
      flags: 0,
      bot: true,
      global_name: null,
    };
    return {
      id: this.snowflake(now),
      type,
      content: "",
      channel_id: state.channelId,
      author,
      attachments: [],
      embeds: [],
      mentions: [],
      mention_roles: [],
      pinned: false,
      mention_everyone: false,
      tts: false,
      timestamp: new Date(now).toISOString(),
      edited_timestamp: null,
      flags: 0,
      components: [],
      application_id: state.applicationId,
      webhook_id: state.applicationId,
    };
  }
}
