/**
 * The Telegram channel: `POST /telegram`. grammY and the bot are loaded on the first update, so
 * they add nothing to a cold start that serves another channel.
 */
import type { Core } from "../../supabase/functions/_shared/core.ts";
import { lazyRoute, type Route } from "../../supabase/functions/_shared/router.ts";

/** The Telegram webhook route. */
export function telegramRoutes(core: Core): Route[] {
  if (!core.config.telegram) {
    throw new Error("telegramRoutes needs the Telegram settings: set TELEGRAM_BOT_TOKEN.");
  }
  return [
    lazyRoute("POST", "/telegram", async () => {
      const { telegramWebhookRoute } = await import("./webhook.ts");
      return telegramWebhookRoute(core);
    }),
  ];
}
