/**
 * The route table. Each channel contributes routes; the gateway matches method and path (with
 * `:name` segments) and falls back to 404/405. Paths are relative to the function: Supabase
 * hands the function `/gateway/...` (hosted) or `/functions/v1/gateway/...` (some proxies), and
 * both prefixes are stripped.
 */
import type { RequestRecord } from "./log.ts";

/** One entry of the route table. */
export interface Route {
  method: "GET" | "POST";
  /** Path like `/commands/:name`. */
  path: string;
  handle(req: Request, params: Record<string, string>, record: RequestRecord): Promise<Response>;
}

/** A route found for a request, or why none was. */
export type Match =
  | { route: Route; params: Record<string, string> }
  | { route: null; allowed: string[] };

const PREFIX = /^(?:\/functions\/v1)?\/gateway(?=\/|$)/;

/** The function-relative path of a request URL. */
export function functionPath(pathname: string): string {
  const path = pathname.replace(PREFIX, "");
  return path === "" ? "/" : path.replace(/\/+$/, "") || "/";
}

/** Builds a matcher over the table. */
export function createRouter(routes: readonly Route[]): (method: string, path: string) => Match {
  const compiled = routes.map((route) => ({ route, parts: route.path.split("/") }));
  return (method, path) => {
    const parts = path.split("/");
    const allowed: string[] = [];
    for (const { route, parts: pattern } of compiled) {
      if (pattern.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < pattern.length && ok; i++) {
        if (pattern[i].startsWith(":")) {
          try {
            params[pattern[i].slice(1)] = decodeURIComponent(parts[i]);
          } catch {
            ok = false;
          }
        } else ok = pattern[i] === parts[i];
      }
      if (!ok) continue;
      if (route.method === method || (method === "HEAD" && route.method === "GET")) {
        return { route, params };
      }
      allowed.push(route.method);
    }
    return { route: null, allowed };
  };
}

/**
 * A route whose implementation is imported on its first request, so a channel's libraries
 * (grammY, discord-interactions) cost nothing at cold start or when the channel is idle.
 */
export function lazyRoute(
  method: Route["method"],
  path: string,
  load: () => Promise<Route>,
): Route {
  let loading: Promise<Route> | undefined;
  return {
    method,
    path,
    async handle(req, params, record) {
      loading ??= load().catch((err) => {
        loading = undefined; // a failed import is retried by the next request
        throw err;
      });
      return await (await loading).handle(req, params, record);
    },
  };
}
