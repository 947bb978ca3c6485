/**
 * Keeping a platform's pace within one gateway instance: each bot sends at most `perSecond`
 * messages a second (spaced evenly, so no burst meets Telegram's flood control) and each chat
 * gets at most one message per `chatIntervalMs`. A send reserves its slot at once (so concurrent
 * sends queue up fairly) and then sleeps until it. Other instances keep their own pace; the
 * platform's 429 with `retry_after` covers what they add together.
 */
import type { Pace } from "./senders.ts";

/** Schedules sends; built once per drainer. */
export class Pacer {
  readonly #bots = new Map<string, number>();
  readonly #chats = new Map<string, number>();

  constructor(
    private readonly now: () => number,
    private readonly sleep: (ms: number) => Promise<void>,
  ) {}

  /** Milliseconds from now until a message from `bot` to `chat` may go; reserves that slot. */
  reserve(bot: string, chat: string, pace: Pace): number {
    const now = this.now();
    if (this.#chats.size > 10_000) prune(this.#chats, now);
    const at = Math.max(now, this.#bots.get(bot) ?? 0, this.#chats.get(chat) ?? 0);
    this.#bots.set(bot, at + 1000 / pace.perSecond);
    this.#chats.set(chat, at + pace.chatIntervalMs);
    return at - now;
  }

  /** Waits for the slot of a message from `bot` to `chat`. */
  async take(bot: string, chat: string, pace: Pace): Promise<void> {
    const wait = this.reserve(bot, chat, pace);
    if (wait > 0) await this.sleep(wait);
  }
}

function prune(slots: Map<string, number>, now: number): void {
  for (const [key, at] of slots) if (at <= now) slots.delete(key);
}
