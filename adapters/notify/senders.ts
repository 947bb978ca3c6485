/**
 * The per-provider sender table: how a notification reaches one linked account on one platform.
 * The drain (drain.ts) claims deliveries, then hands each to the sender of its provider, which
 * picks the bot named by the notification and makes the platform's calls. A platform is one
 * entry here.
 *
 * A sender never throws for what a platform answered: it says what happened ({@link SendResult})
 * in words the recipient can read, and the drain records it (sent; retried later; refused for
 * good; skipped). It never waits out a 429 itself: `retry` with the platform's `afterMs` makes
 * the row due again then, so one rate-limited chat never holds a drain.
 */
import type { ActionRows } from "../../supabase/functions/_shared/actions.ts";
import type { BotScope } from "../../supabase/functions/_shared/bot.ts";
import type { Core } from "../../supabase/functions/_shared/core.ts";
import { discordNotifier } from "../discord/notify.ts";
import { slackNotifier } from "../slack/notify.ts";
import { telegramNotifier } from "../telegram/notify.ts";

/** One claimed delivery: a notification for one account, sent by one bot. */
export interface Recipient {
  /** The delivery's id (`notification_deliveries.id`). */
  id: number;
  notificationId: string;
  userId: string;
  provider: string;
  /** The platform's user id (`chat_identities.external_id`). */
  externalId: string;
  /** The bot's name (`default` unless the notification named another). */
  bot: string;
  text: string;
}

/** What a send came to. `error` is what the recipient reads in `notification_deliveries`. */
export type SendResult =
  | { status: "sent" }
  /** Not sent this time (rate limit, platform or network failure): try again later. */
  | { status: "retry"; error: string; afterMs?: number }
  /** The platform refused for good (bot blocked, no such user or chat): never retried. */
  | { status: "failed"; error: string }
  /** Nothing to send with (e.g. the app has no bot token for direct messages). */
  | { status: "skipped"; error: string };

/** The platform's pace for one bot, kept by the drain within each gateway instance. */
export interface Pace {
  /** Messages per second the bot may send in all (Telegram: about 30). */
  perSecond: number;
  /** Milliseconds between two messages to one chat (Telegram: about 1 s). */
  chatIntervalMs: number;
}

/** One bot of a platform, ready to send. */
export interface BotNotifier {
  /** The bot's commands: a notification's buttons must be ones it offers. */
  scope: BotScope;
  pace: Pace;
  /** Sends `text` (and the buttons, encoded with this bot's button key) to the recipient. */
  send(to: Recipient, actions: ActionRows | null): Promise<SendResult>;
}

/** A platform's sender: its bots by name. */
export interface ProviderNotifier {
  /** The platform's name as users read it ("Telegram"). */
  platform: string;
  /** The bot of that name, or undefined when the platform has none (the row is skipped). */
  bot(name: string): BotNotifier | undefined;
}

/** Builds a platform's sender from the core (its configuration, fetch, clock, button keys). */
export type NotifierFactory = (core: Core) => ProviderNotifier;

/** The sender of each provider (`chat_identities.provider`). */
export const NOTIFIERS: Readonly<Record<string, NotifierFactory>> = {
  telegram: telegramNotifier,
  discord: discordNotifier,
  slack: slackNotifier,
};
