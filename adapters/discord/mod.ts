/**
 * The Discord channel: `POST /discord`, Discord's interactions endpoint. Options are checked when
 * the gateway is built; the endpoint and discord-interactions are loaded on the first interaction,
 * so they add nothing to a cold start that serves another channel (nothing else is imported here:
 * the commands' JSON for registration is in commands_json.ts).
 */
import type { Core } from "../../supabase/functions/_shared/core.ts";
import { lazyRoute, type Route } from "../../supabase/functions/_shared/router.ts";

/** Options of {@link discordRoutes}. */
export interface DiscordRouteOptions {
  /**
   * Milliseconds a slash command may run before the gateway answers with a deferred response
   * and finishes in the background. Discord allows 3 seconds for the first answer.
   */
  deferAfterMs?: number;
}

/** Default budget: leaves a second of Discord's three for the network and the ledger. */
export const DEFAULT_DEFER_AFTER_MS = 2_000;
const MAX_DEFER_AFTER_MS = 2_800;

/** The Discord interactions route; throws at start-up when Discord is not configured. */
export function discordRoutes(core: Core, options: DiscordRouteOptions = {}): Route[] {
  if (!core.config.discordApps.length) {
    throw new Error(
      "discordRoutes needs a Discord application: set DISCORD_PUBLIC_KEY or DISCORD_APPS.",
    );
  }
  const deferAfterMs = options.deferAfterMs ?? DEFAULT_DEFER_AFTER_MS;
  if (!(deferAfterMs >= 0 && deferAfterMs <= MAX_DEFER_AFTER_MS)) {
    throw new Error(
      `deferAfterMs must be from 0 to ${MAX_DEFER_AFTER_MS} ms (Discord waits 3 s at most).`,
    );
  }
  let loading: Promise<Route> | undefined;
  const shared = () =>
    loading ??= import("./endpoint.ts").then((m) => m.discordEndpoint(core, deferAfterMs)).catch(
      (err) => {
        loading = undefined; // a failed import is retried by the next request
        throw err;
      },
    );
  return [lazyRoute("POST", "/discord", shared), lazyRoute("POST", "/discord/:bot", shared)];
}
