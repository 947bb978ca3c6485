/**
 * The Slack channel: `POST /slack` (the default app) and `POST /slack/<name>`. Options are checked
 * when the gateway is built; the endpoint is loaded on the first request, so Slack adds nothing to
 * a cold start that serves another channel.
 */
import type { Core } from "../../supabase/functions/_shared/core.ts";
import { lazyRoute, type Route } from "../../supabase/functions/_shared/router.ts";

/** Options of {@link slackRoutes}. */
export interface SlackRouteOptions {
  /**
   * Milliseconds a slash command or press may run before the gateway acknowledges it and
   * finishes in the background (answering through the response_url). Slack waits 3 seconds.
   */
  deferAfterMs?: number;
}

/** Default budget: leaves a second of Slack's three for the network. */
export const DEFAULT_DEFER_AFTER_MS = 2_000;
const MAX_DEFER_AFTER_MS = 2_800;

/** The Slack routes; throws at start-up when no Slack app is configured. */
export function slackRoutes(core: Core, options: SlackRouteOptions = {}): Route[] {
  if (!core.config.slackApps.length) {
    throw new Error("slackRoutes needs a Slack app: set SLACK_SIGNING_SECRET or SLACK_APPS.");
  }
  const deferAfterMs = options.deferAfterMs ?? DEFAULT_DEFER_AFTER_MS;
  if (!(deferAfterMs >= 0 && deferAfterMs <= MAX_DEFER_AFTER_MS)) {
    throw new Error(
      `deferAfterMs must be from 0 to ${MAX_DEFER_AFTER_MS} ms (Slack waits 3 s at most).`,
    );
  }
  let loading: Promise<Route> | undefined;
  const shared = () =>
    loading ??= import("./endpoint.ts").then((m) => m.slackEndpoint(core, deferAfterMs)).catch(
      (err) => {
        loading = undefined; // a failed import is retried by the next request
        throw err;
      },
    );
  return [lazyRoute("POST", "/slack", shared), lazyRoute("POST", "/slack/:bot", shared)];
}
