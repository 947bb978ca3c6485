/**
 * CORS for browser callers of the HTTPS channel, from `GATEWAY_CORS_ORIGINS`. Webhook routes
 * (Telegram, Discord) are server-to-server and get no CORS headers.
 */
// The headers supabase-js sends (tracing's traceparent/tracestate/baggage, x-retry-count, ...),
// kept in sync by supabase-js itself. `/cors` is a 2 KB module with no imports: no cold-start cost.
import { corsHeaders as supabaseCors } from "@supabase/supabase-js/cors";

/**
 * Request headers a browser may send: what supabase-js lists, plus `idempotency-key` (ours) and
 * `x-region` (functions-js sends it for `functions.invoke(..., { region })`).
 */
export const ALLOW_HEADERS = [
  ...new Set([
    ...supabaseCors["Access-Control-Allow-Headers"].split(",").map((h) => h.trim().toLowerCase()),
    "idempotency-key",
    "x-region",
  ]),
].filter(Boolean).join(", ");
const ALLOW_METHODS = "GET, POST, OPTIONS";
/** Response headers a browser script may read. */
const EXPOSE_HEADERS = "idempotent-replayed, retry-after";

/** CORS headers for `origin`, or null when it is not allowed. */
export function corsHeaders(allowed: readonly string[], origin: string | null): Headers | null {
  if (!origin || allowed.length === 0) return null;
  const any = allowed.includes("*");
  if (!any && !allowed.includes(origin)) return null;
  const headers = new Headers({
    "access-control-allow-origin": any ? "*" : origin,
    "access-control-expose-headers": EXPOSE_HEADERS,
  });
  if (!any) headers.set("vary", "Origin");
  return headers;
}

/** The answer to a preflight `OPTIONS` request. */
export function preflight(allowed: readonly string[], origin: string | null): Response {
  const headers = corsHeaders(allowed, origin) ?? new Headers();
  if (headers.has("access-control-allow-origin")) {
    headers.set("access-control-allow-methods", ALLOW_METHODS);
    headers.set("access-control-allow-headers", ALLOW_HEADERS);
    headers.set("access-control-max-age", "86400");
  }
  return new Response(null, { status: 204, headers });
}
