/**
 * Slack sink helper: response URLs. Slack hands one out with every slash command
 * (`/commands/<team>/<n>/<secret>`) and every interaction (`/actions/<team>/<n>/<secret>`); the
 * sink does the same when a test or the simulator registers one, for the user and channel it was
 * made for and, for a press, the message the button is on. A URL takes five posts within 30
 * minutes, as Slack's do: a sixth is refused (`used_url`), a late one too (`expired_url`), an
 * unknown one is `no_service`, all 404. A post with `replace_original` replaces the message the
 * URL came from, `delete_original` deletes it; otherwise it is a new message, ephemeral unless
 * `response_type` is `in_channel`.
 *
 * @module
 */
import { checkMessage, SlackError } from "./slack_blocks.ts";

type Json = Record<string, unknown>;

/** A message as the sink keeps it. */
export interface SlackShownMessage {
  text?: string;
  blocks?: unknown[];
  /** Only `user` sees it (an ephemeral response). */
  ephemeral: boolean;
  user: string;
  channel: string;
}

/** One registered response URL and what went through it. */
export interface ResponseUrlState {
  url: string;
  kind: "commands" | "actions";
  team: string;
  user: string;
  channel: string;
  registeredAt: number;
  /** Posts taken so far (at most five). */
  uses: number;
  /** The message the URL came from (a press's), as it is now; null once deleted. */
  original: SlackShownMessage | null;
  /** New messages posted through the URL, oldest first. */
  posted: SlackShownMessage[];
}

/** What registering a response URL needs. */
export interface ResponseUrlSpec {
  kind?: "commands" | "actions";
  team: string;
  user: string;
  channel?: string;
  /** For a press: the message the button is on. */
  original?: { text?: string; blocks?: unknown[]; ephemeral?: boolean };
}

/** Posts a URL takes, and for how long (Slack's limits). */
export const MAX_RESPONSES = 5;
export const RESPONSE_URL_TTL_MS = 30 * 60_000;

/** The response URLs of one sink. */
export class ResponseUrlStore {
  #urls = new Map<string, ResponseUrlState>();
  #sequence = 0;

  constructor(private readonly ttlMs = RESPONSE_URL_TTL_MS) {}

  /** Registers a URL under `base` (the sink's address); returns its state. */
  register(base: string, spec: ResponseUrlSpec, now: number): ResponseUrlState {
    const kind = spec.kind ?? "commands";
    const secret = crypto.randomUUID().replaceAll("-", "").slice(0, 24);
    const path = `/${kind}/${spec.team}/${Date.now()}${++this.#sequence}/${secret}`;
    const channel = spec.channel ?? "C0LOCAL";
    const state: ResponseUrlState = {
      url: `${base}${path}`,
      kind,
      team: spec.team,
      user: spec.user,
      channel,
      registeredAt: now,
      uses: 0,
      original: spec.original
        ? {
          ...spec.original,
          ephemeral: spec.original.ephemeral ?? false,
          user: spec.user,
          channel,
        }
        : null,
      posted: [],
    };
    this.#urls.set(path, state);
    return state;
  }

  /** The state of a URL (full, or its path under the mount), if registered. */
  get(urlOrPath: string): ResponseUrlState | undefined {
    const path = urlOrPath.replace(/^https?:\/\/[^/]+/, "").replace(
      /^.*?(?=\/(?:commands|actions)\/)/,
      "",
    );
    return this.#urls.get(path);
  }

  /** Takes one post to `path`; throws the SlackError Slack would answer. */
  post(path: string, body: unknown, now: number): { ok: true } {
    const state = this.#urls.get(path);
    if (!state) throw new SlackError("no_service", 404);
    if (now - state.registeredAt > this.ttlMs) throw new SlackError("expired_url", 404);
    if (state.uses >= MAX_RESPONSES) throw new SlackError("used_url", 404);
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      throw new SlackError("invalid_payload", 400);
    }
    const message = body as Json;
    if (message.delete_original === true) {
      state.uses++;
      state.original = null;
      return { ok: true };
    }
    checkMessage(message, 400);
    state.uses++;
    const shown: SlackShownMessage = {
      ...(typeof message.text === "string" ? { text: message.text } : {}),
      ...(Array.isArray(message.blocks) ? { blocks: message.blocks } : {}),
      ephemeral: message.response_type !== "in_channel",
      user: state.user,
      channel: state.channel,
    };
    if (message.replace_original === true && state.original) {
      // The replaced message keeps its visibility (an ephemeral one stays the presser's own).
      state.original = { ...shown, ephemeral: state.original.ephemeral };
    } else state.posted.push(shown);
    return { ok: true };
  }

  /** Every registered URL, oldest first. */
  all(): ResponseUrlState[] {
    return [...this.#urls.values()];
  }

  clear(): void {
    this.#urls.clear();
  }
}
