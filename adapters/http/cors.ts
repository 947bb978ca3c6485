/**
 * CORS for browser callers of the HTTPS channel, from `GATEWAY_CORS_ORIGINS`. Webhook routes
 * (Telegram, Discord) are server-to-server and get no CORS headers.
 */

const ALLOW_HEADERS =
  "authorization, x-client-info, apikey, content-type, idempotency-key, x-region";
const ALLOW_METHODS = "GET, POST, OPTIONS";

/** CORS headers for `origin`, or null when it is not allowed. */
export function corsHeaders(allowed: readonly string[], origin: string | null): Headers | null {
  if (!origin || allowed.length === 0) return null;
  const any = allowed.includes("*");
  if (!any && !allowed.includes(origin)) return null;
  const headers = new Headers({
    "access-control-allow-origin": any ? "*" : origin,
    "access-control-expose-headers": "idempotent-replayed, retry-after",
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
