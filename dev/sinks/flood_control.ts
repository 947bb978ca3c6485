/**
 * Sink helper: the platforms' rate limits, off unless switched on (`setLimits(true)`), so tests
 * that do not measure them are never slowed; the notification tests and the bench switch them on.
 *
 * - Telegram: about one message a second per chat and 30 a second per bot; past either,
 *   `429 Too Many Requests: retry after N` with `parameters.retry_after` (whole seconds).
 * - Discord: per-route buckets (5 messages per 5 s per channel; 50 requests a second per bot in
 *   all), every answer carrying `X-RateLimit-*` headers, and a 429 with `retry_after` (seconds,
 *   fractional) past a bucket.
 * - Slack: `chat.postMessage` about one message a second per channel, short bursts allowed (three
 *   within three seconds here); past it, HTTP 429 `{ok:false,error:"ratelimited"}` with
 *   `Retry-After` (whole seconds).
 *
 * @module
 */

/** A sliding-window counter per key: at most `limit` events per `windowMs`. */
export class Window {
  readonly #events = new Map<string, number[]>();

  constructor(readonly limit: number, readonly windowMs: number) {}

  /**
   * Records an event for `key` at `now` if the window has room: returns 0, else the
   * milliseconds until it has (nothing recorded).
   */
  take(key: string, now: number): number {
    const times = (this.#events.get(key) ?? []).filter((t) => t > now - this.windowMs);
    if (times.length >= this.limit) {
      this.#events.set(key, times);
      return times[0] + this.windowMs - now;
    }
    times.push(now);
    this.#events.set(key, times);
    return 0;
  }

  /** What is left in `key`'s window at `now`, and when it is whole again. */
  state(key: string, now: number): { remaining: number; resetAfterMs: number } {
    const times = (this.#events.get(key) ?? []).filter((t) => t > now - this.windowMs);
    return {
      remaining: Math.max(0, this.limit - times.length),
      resetAfterMs: times.length ? times[0] + this.windowMs - now : 0,
    };
  }

  clear(): void {
    this.#events.clear();
  }
}

/** Telegram's flood control for `sendMessage`. */
export class TelegramFloodControl {
  enabled = false;
  readonly #chats = new Window(1, 1_000);
  readonly #bots = new Window(30, 1_000);

  /** Seconds to wait (Telegram's `retry_after`), or 0 when the message may go (and counts). */
  check(token: string, chatId: unknown, now: number): number {
    if (!this.enabled) return 0;
    const chat = `${token}\n${String(chatId)}`;
    const chatWait = this.#chats.state(chat, now).remaining ? 0 : this.#chats.take(chat, now);
    const botWait = this.#bots.state(token, now).remaining ? 0 : this.#bots.take(token, now);
    const wait = Math.max(chatWait, botWait);
    if (wait > 0) return Math.max(1, Math.ceil(wait / 1000));
    this.#chats.take(chat, now);
    this.#bots.take(token, now);
    return 0;
  }

  clear(): void {
    this.#chats.clear();
    this.#bots.clear();
  }
}

/**
 * Slack's special limit for `chat.postMessage`: per app (its token) and channel, about one a
 * second with short bursts.
 */
export class SlackPostLimit {
  enabled = false;
  readonly #channels = new Window(3, 3_000);

  /** Seconds to wait (Slack's Retry-After), or 0 when the post may go (and counts). */
  check(token: string, channel: unknown, now: number): number {
    if (!this.enabled) return 0;
    const wait = this.#channels.take(`${token}\n${String(channel)}`, now);
    return wait > 0 ? Math.max(1, Math.ceil(wait / 1000)) : 0;
  }

  clear(): void {
    this.#channels.clear();
  }
}
