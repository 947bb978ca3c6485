/**
 * The Telegram channel: `POST /telegram` (the default bot) and `POST /telegram/<name>` (every bot
 * of `TELEGRAM_BOTS`). grammY and the webhook are loaded on the first update, and each bot's
 * sender on its own first update, so neither a cold start nor an idle bot costs anything.
 */
import type { Core } from "../../supabase/functions/_shared/core.ts";
import { lazyRoute, type Route } from "../../supabase/functions/_shared/router.ts";

/** The Telegram webhook routes; throws at start-up when no Telegram bot is configured. */
export function telegramRoutes(core: Core): Route[] {
  if (!core.config.telegramBots.length) {
    throw new Error(
      "telegramRoutes needs a Telegram bot: set TELEGRAM_BOT_TOKEN or TELEGRAM_BOTS.",
    );
  }
  const load = async () => {
    const { telegramWebhookRoute } = await import("./webhook.ts");
    return telegramWebhookRoute(core);
  };
  let loading: Promise<Route> | undefined;
  const shared = () =>
    loading ??= load().catch((err) => {
      loading = undefined;
      throw err;
    });
  return [
    lazyRoute("POST", "/telegram", shared),
    lazyRoute("POST", "/telegram/:bot", shared),
  ];
}
