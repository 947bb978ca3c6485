/**
 * Telegram sink helper: the Bot API methods about the bot itself — `getMe`, webhook settings
 * (`setWebhook`, `deleteWebhook`, `getWebhookInfo`, and `getUpdates`' conflict with a webhook)
 * and command lists (`setMyCommands`, `getMyCommands`, `deleteMyCommands`) — remembered per
 * bot token and answered with Telegram's wording.
 *
 * @module
 */

import {
  bad,
  type BotState,
  type MethodEntry,
  type MethodOutcome,
  type Params,
  TelegramError,
  type WebhookSettings,
} from "./telegram_state.ts";

function scopeKey(p: Params): string {
  const s = (p.scope && typeof p.scope === "object" ? p.scope : {}) as Record<string, unknown>;
  const lang = typeof p.language_code === "string" ? p.language_code : "";
  return `${s.type ?? "default"}|${s.chat_id ?? ""}|${s.user_id ?? ""}|${lang}`;
}

function setWebhook(bot: BotState, p: Params): MethodOutcome {
  const url = typeof p.url === "string" ? p.url.trim() : "";
  if (!url) return deleteWebhook(bot, p);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw bad("bad webhook: Failed to resolve host: Name or service not known");
  }
  // Deviation: plain http is accepted for loopback hosts so the local stack can receive updates.
  const loopback = ["127.0.0.1", "localhost", "[::1]"].includes(parsed.hostname);
  if (parsed.protocol !== "https:" && !(loopback && parsed.protocol === "http:")) {
    throw bad("bad webhook: An HTTPS URL must be provided for webhook");
  }
  if (!loopback && parsed.port && !["80", "88", "443", "8443"].includes(parsed.port)) {
    throw bad("bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443");
  }
  const secret = p.secret_token === undefined || p.secret_token === "" ? undefined : p.secret_token;
  if (secret !== undefined && !/^[A-Za-z0-9_-]{1,256}$/.test(String(secret))) {
    throw bad("secret token contains unallowed characters");
  }
  if (p.allowed_updates !== undefined) {
    if (!Array.isArray(p.allowed_updates)) throw bad("can't parse allowed updates");
    bot.allowedUpdates = p.allowed_updates.map(String);
  }
  const max = p.max_connections === undefined ? 40 : Number(p.max_connections);
  const next: WebhookSettings = { url, max_connections: Math.min(100, Math.max(1, max || 40)) };
  if (secret !== undefined) next.secret_token = String(secret);
  const same = JSON.stringify(bot.webhook) === JSON.stringify(next);
  bot.webhook = next;
  dropPending(bot, p);
  return { result: true, description: same ? "Webhook is already set" : "Webhook was set" };
}

function deleteWebhook(bot: BotState, p: Params = {}): MethodOutcome {
  const had = bot.webhook !== null;
  bot.webhook = null;
  dropPending(bot, p);
  return { result: true, description: had ? "Webhook was deleted" : "Webhook is already deleted" };
}

/** `drop_pending_updates`: Telegram forgets the updates waiting for delivery. */
function dropPending(bot: BotState, p: Params): void {
  if (p.drop_pending_updates === true || p.drop_pending_updates === "true") {
    bot.status = { ...bot.status, pending_update_count: 0 };
  }
}

function setMyCommands(bot: BotState, p: Params): MethodOutcome {
  if (p.commands === undefined) throw bad('parameter "commands" is required');
  if (!Array.isArray(p.commands)) throw bad("can't parse commands JSON object");
  if (p.commands.length > 100) throw bad("too many commands specified");
  const list = p.commands.map((c) => {
    const { command, description } = (c ?? {}) as Record<string, unknown>;
    if (typeof command !== "string" || !/^[a-z0-9_]{1,32}$/.test(command)) {
      throw bad("BOT_COMMAND_INVALID");
    }
    if (typeof description !== "string" || !description.trim() || description.length > 256) {
      throw bad("BOT_COMMAND_DESCRIPTION_INVALID");
    }
    return { command, description };
  });
  bot.commands.set(scopeKey(p), list);
  return { result: true };
}

/** The settings methods. */
export const SETTINGS_METHODS: MethodEntry[] = [
  { name: "getMe", run: (bot) => ({ result: bot.user }) },
  { name: "setWebhook", run: setWebhook },
  { name: "deleteWebhook", run: deleteWebhook },
  {
    name: "getWebhookInfo",
    run: (bot) => ({
      result: {
        url: bot.webhook?.url ?? "",
        has_custom_certificate: false,
        ...bot.status,
        ...(bot.webhook
          ? { max_connections: bot.webhook.max_connections, ip_address: "127.0.0.1" }
          : {}),
        ...(bot.allowedUpdates ? { allowed_updates: bot.allowedUpdates } : {}),
      },
    }),
  },
  {
    name: "getUpdates",
    run(bot) {
      if (bot.webhook) {
        throw new TelegramError(
          409,
          "Conflict: can't use getUpdates method while webhook is active; " +
            "use deleteWebhook to delete the webhook first",
        );
      }
      return { result: [] };
    },
  },
  { name: "setMyCommands", run: setMyCommands },
  { name: "getMyCommands", run: (bot, p) => ({ result: bot.commands.get(scopeKey(p)) ?? [] }) },
  {
    name: "deleteMyCommands",
    run: (bot, p) => ({ result: bot.commands.delete(scopeKey(p)) || true }),
  },
];
