/** Small HTTP response helpers shared by the channels. */
import { errorBody, type GatewayError } from "./errors.ts";

const JSON_TYPE = "application/json; charset=utf-8";

/** A JSON response (`headers` may override its content type). */
export function json(body: unknown, status = 200, headers?: HeadersInit): Response {
  return jsonText(JSON.stringify(body), status, headers);
}

/** A JSON response from JSON text already written (sent as it is, e.g. a stored answer). */
export function jsonText(text: string, status = 200, headers?: HeadersInit): Response {
  // The common case without a Headers object to build and copy.
  if (!headers) return new Response(text, { status, headers: { "content-type": JSON_TYPE } });
  const h = new Headers(headers);
  if (!h.has("content-type")) h.set("content-type", JSON_TYPE);
  return new Response(text, { status, headers: h });
}

/**
 * The contract's JSON error response; 429/503/409-busy carry Retry-After. `text`: the body
 * already written for `err` (what an idempotent request stores to replay).
 */
export function errorResponse(err: GatewayError, headers?: HeadersInit, text?: string): Response {
  const h = new Headers(headers);
  const retry = err.details?.retry_after;
  if (typeof retry === "number") h.set("retry-after", String(Math.ceil(retry)));
  else if (err.status === 503) h.set("retry-after", "5");
  if (err.status === 401) h.set("www-authenticate", 'Bearer realm="gateway"');
  return jsonText(text ?? JSON.stringify(errorBody(err)), err.status, h);
}
