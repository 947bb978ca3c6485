/**
 * A platform's sender over its configured bots: each bot's notifier built on the first
 * notification it sends, then kept; a name the platform has no bot of is `undefined` (the row
 * is skipped, saying so).
 */
import type { BotNotifier, ProviderNotifier } from "./senders.ts";

/** The sender of `platform` ("Telegram", as users read it) for `bots`, built by `build`. */
export function perBot<B extends { name: string }>(
  platform: string,
  bots: readonly B[],
  build: (bot: B) => BotNotifier,
): ProviderNotifier {
  const byName = new Map(bots.map((bot) => [bot.name, bot]));
  const built = new Map<string, BotNotifier>();
  return {
    platform,
    bot(name) {
      let notifier = built.get(name);
      const bot = byName.get(name);
      if (!notifier && bot) built.set(name, notifier = build(bot));
      return notifier;
    },
  };
}
