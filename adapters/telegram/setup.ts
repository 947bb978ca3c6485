/**
 * Telegram bot setup, used by `deno task telegram:webhook`: the webhook (URL, secret, the update
 * types the gateway handles) and the command menu, both derived from the registry.
 */
import { Api } from "grammy";
import type { AnyCommand } from "../../supabase/functions/_shared/command.ts";
import { telegramName, usage } from "./parse.ts";
import { listedOn } from "../../supabase/functions/_shared/command.ts";

/**
 * The update types the gateway acts on: messages (commands) and button presses. Telegram delivers
 * only these; anything else would be acknowledged and dropped anyway.
 */
export const ALLOWED_UPDATES = ["message", "callback_query"] as const;

/** Longest wait for one Bot API call from a task. */
const CALL_TIMEOUT_SECONDS = 10;

/** The command menu (`setMyCommands`) for the commands offered on Telegram. */
export function telegramCommandMenu(
  commands: readonly AnyCommand[],
): { command: string; description: string }[] {
  return listedOn(commands, "telegram")
    .map((c) => {
      const args = usage(c).slice(telegramName(c.name).length + 2).trim();
      const description = args ? `${c.description} (${args})` : c.description;
      return { command: telegramName(c.name), description: description.slice(0, 256) };
    });
}

/** What {@link configureWebhook} needs. */
export interface WebhookSetup {
  botToken: string;
  apiRoot: string;
  url: string;
  secret: string;
  dropPendingUpdates: boolean;
  commands: readonly AnyCommand[];
  fetch?: typeof fetch;
}

/** Sets the webhook and the command menu; returns what was set. */
export async function configureWebhook(setup: WebhookSetup) {
  const api = apiFor(setup);
  await api.setWebhook(setup.url, {
    secret_token: setup.secret,
    allowed_updates: [...ALLOWED_UPDATES],
    drop_pending_updates: setup.dropPendingUpdates,
  });
  const menu = telegramCommandMenu(setup.commands);
  await api.setMyCommands(menu);
  return { url: setup.url, commands: menu.map((c) => c.command) };
}

/** The webhook as Telegram reports it (`getWebhookInfo`). */
export function webhookInfo(setup: Pick<WebhookSetup, "botToken" | "apiRoot" | "fetch">) {
  return apiFor(setup).getWebhookInfo();
}

/** A Bot API client for one bot (calls bounded at 10 s). */
export function apiFor(setup: Pick<WebhookSetup, "botToken" | "apiRoot" | "fetch">): Api {
  return new Api(setup.botToken, {
    apiRoot: setup.apiRoot,
    timeoutSeconds: CALL_TIMEOUT_SECONDS,
    ...(setup.fetch ? { fetch: setup.fetch as never } : {}),
  });
}
