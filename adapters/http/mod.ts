/** The HTTPS channel: command calls, the catalogue, OpenAPI and health. */
import type { Core } from "../../supabase/functions/_shared/core.ts";
import type { Route } from "../../supabase/functions/_shared/router.ts";
import { catalogueRoutes } from "./catalogue.ts";
import { commandRoute } from "./commands.ts";
import { healthRoute } from "./health.ts";

export { bearerToken } from "./commands.ts";

/** The routes of the HTTPS channel. */
export function httpRoutes(core: Core): Route[] {
  return [commandRoute(core), ...catalogueRoutes(core), healthRoute(core)];
}
