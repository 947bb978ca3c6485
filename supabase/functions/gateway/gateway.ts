/**
 * `createGateway(config)`: the whole gateway as one fetch handler. It builds the core once, asks
 * each enabled channel for its routes, and wraps every request in the same envelope: CORS, the
 * route table, error-to-JSON mapping and one structured log line.
 */
import { discordRoutes } from "../../../adapters/discord/mod.ts";
import { corsHeaders, preflight } from "../../../adapters/http/cors.ts";
import { httpRoutes } from "../../../adapters/http/mod.ts";
import { createNotifications, type Notifications } from "../../../adapters/notify/mod.ts";
import { slackRoutes } from "../../../adapters/slack/mod.ts";
import { telegramRoutes } from "../../../adapters/telegram/mod.ts";
import type { GatewayConfig } from "../_shared/config.ts";
import { type Core, createCore, type GatewayDeps } from "../_shared/core.ts";
import { asGatewayError, GatewayError, internalDetail } from "../_shared/errors.ts";
import { errorResponse } from "../_shared/http.ts";
import type { RequestRecord } from "../_shared/log.ts";
import { createRouter, functionPath, type Route } from "../_shared/router.ts";
import { commands as appCommands } from "./commands/mod.ts";

/**
 * The gateway: a fetch handler that also exposes its core (for tasks and tests) and its
 * notification drain (for the local stack's timer).
 */
export type Gateway = ((req: Request) => Promise<Response>) & {
  core: Core;
  notifications: Pick<Notifications, "drain">;
};

/** Builds the gateway. Throws at start-up on a configuration it cannot serve. */
export function createGateway(
  config: GatewayConfig,
  deps: Partial<GatewayDeps> = {},
): Gateway {
  const core = createCore(config, { ...deps, commands: deps.commands ?? appCommands });
  const notifications = createNotifications(core);
  const routes: Route[] = [
    ...httpRoutes(core),
    ...notifications.routes,
    ...(config.telegramBots.length ? telegramRoutes(core) : disabled("/telegram", "Telegram")),
    ...(config.discordApps.length ? discordRoutes(core) : disabled("/discord", "Discord")),
    ...(config.slackApps.length ? slackRoutes(core) : disabled("/slack", "Slack")),
  ];
  const match = createRouter(routes);
  let sequence = 0;

  const handler = async (req: Request): Promise<Response> => {
    const started = performance.now();
    const record: RequestRecord = { request_id: requestId(req, ++sequence) };
    const url = new URL(req.url);
    const path = functionPath(url.pathname);
    const origin = req.headers.get("origin");
    let response: Response;
    if (req.method === "OPTIONS") {
      response = preflight(config.corsOrigins, origin);
    } else {
      try {
        const found = match(req.method, path);
        if (found.route) {
          response = await found.route.handle(req, found.params, record);
        } else if (found.allowed.length) {
          response = errorResponse(
            new GatewayError(405, "method_not_allowed", `Use ${found.allowed.join(" or ")}.`),
            { allow: found.allowed.join(", ") },
          );
        } else {
          response = errorResponse(new GatewayError(404, "not_found", `No route ${path}.`));
        }
      } catch (err) {
        const error = asGatewayError(err);
        record.error_code = error.code;
        if (error.code === "internal") {
          core.log.error("unhandled error", {
            request_id: record.request_id,
            detail: internalDetail(err),
          });
        }
        response = errorResponse(error);
      }
    }
    if (record.channel === "http" || record.channel === "health" || !record.channel) {
      corsHeaders(config.corsOrigins, origin)?.forEach((v, k) => response.headers.set(k, v));
    }
    core.log.request(record, response.status, performance.now() - started);
    return response;
  };
  return Object.assign(handler, { core, notifications: { drain: notifications.drain } });
}

function disabled(path: string, name: string): Route[] {
  const handle = () => {
    throw new GatewayError(
      404,
      "channel_disabled",
      `The ${name} channel is off: set its environment variables to turn it on.`,
    );
  };
  return [{ method: "POST", path, handle }, { method: "POST", path: `${path}/:bot`, handle }];
}

const REQUEST_ID = /^[A-Za-z0-9_.:-]{1,100}$/;

/** The platform's request id when it sent a sane one, else a local one. */
function requestId(req: Request, n: number): string {
  const given = req.headers.get("sb-request-id") ?? req.headers.get("x-request-id");
  if (given && REQUEST_ID.test(given)) return given;
  return `gw-${START}-${n}`;
}

const START = Date.now().toString(36);
