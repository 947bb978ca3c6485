/**
 * `GET /health`: liveness and readiness. Ready means the database answers through PostgREST
 * (`gateway_health`, service role). The outcome is cached for a second so an unauthenticated
 * endpoint cannot be used to load the database.
 */
import type { Core } from "../../supabase/functions/_shared/core.ts";
import { asGatewayError, type GatewayError } from "../../supabase/functions/_shared/errors.ts";
import { errorResponse, json } from "../../supabase/functions/_shared/http.ts";
import type { Route } from "../../supabase/functions/_shared/router.ts";

const CACHE_MS = 1_000;

/** The health route. */
export function healthRoute(core: Core): Route {
  let last: { at: number; error: GatewayError | null } | undefined;
  const channels = {
    http: true,
    telegram: core.config.telegramBots.length > 0,
    discord: core.config.discordApps.length > 0,
    slack: core.config.slackApps.length > 0,
  };
  return {
    method: "GET",
    path: "/health",
    async handle(_req, _params, record) {
      record.channel = "health";
      if (!last || core.now() - last.at > CACHE_MS) {
        let error: GatewayError | null = null;
        try {
          await core.rpc("gateway_health", {});
        } catch (err) {
          error = asGatewayError(err);
        }
        last = { at: core.now(), error };
      }
      if (last.error) return errorResponse(last.error);
      return json({ ok: true, text: "ready", data: { database: "reachable", channels } });
    },
  };
}
