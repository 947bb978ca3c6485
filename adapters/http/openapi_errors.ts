/**
 * The error statuses of the HTTPS channel for the OpenAPI document: for each status, the error
 * codes it carries and the headers a client acts on, as reusable components (one response and
 * one body schema per status).
 */

/** One documented error status: its component name, description and the codes it carries. */
interface ErrorStatus {
  name: string;
  description: string;
  codes: readonly string[];
  headers?: Record<string, unknown>;
}

const RETRY_AFTER = {
  description: "Seconds to wait before retrying.",
  schema: { type: "integer", minimum: 0 },
};

/** A status code the HTTPS channel answers errors with. */
export type ErrorStatusCode =
  | "400"
  | "401"
  | "403"
  | "404"
  | "405"
  | "409"
  | "413"
  | "415"
  | "429"
  | "500"
  | "503"
  | "504";

/** Every error status of the HTTPS channel, by status code. */
const ERRORS: Record<ErrorStatusCode, ErrorStatus> = {
  "400": {
    name: "BadRequest",
    description: "Malformed JSON, invalid arguments or a malformed Idempotency-Key",
    codes: ["bad_json", "invalid_args"],
  },
  "401": {
    name: "Unauthorized",
    description: "Missing, expired or invalid access token",
    codes: ["missing_token", "invalid_token"],
    headers: {
      "WWW-Authenticate": { description: '`Bearer realm="gateway"`', schema: { type: "string" } },
    },
  },
  "403": {
    name: "Forbidden",
    description: "Denied by Row Level Security or policy",
    codes: ["forbidden"],
  },
  "404": {
    name: "NotFound",
    description: "Unknown command, or nothing found for the arguments",
    codes: ["unknown_command", "not_found"],
  },
  "405": {
    name: "MethodNotAllowed",
    description: "The path exists but not with this method",
    codes: ["method_not_allowed"],
    headers: {
      Allow: { description: "The methods the path accepts.", schema: { type: "string" } },
    },
  },
  "409": {
    name: "Conflict",
    description: "The same Idempotency-Key is still in progress (retry after Retry-After), or " +
      "was used for other arguments (never retry with this key)",
    codes: ["idempotency_in_progress", "idempotency_key_reused", "conflict"],
    headers: { "Retry-After": RETRY_AFTER },
  },
  "413": {
    name: "PayloadTooLarge",
    description: "Body larger than 64 KiB",
    codes: ["payload_too_large"],
  },
  "415": {
    name: "UnsupportedMediaType",
    description: "Body sent with a Content-Type other than JSON",
    codes: ["unsupported_media_type"],
  },
  "429": {
    name: "RateLimited",
    description: "Rate limited: retry after Retry-After seconds",
    codes: ["rate_limited"],
    headers: { "Retry-After": { ...RETRY_AFTER, required: true } },
  },
  "500": {
    name: "InternalError",
    description: "Internal error (logged); not caused by the request",
    codes: ["internal"],
  },
  "503": {
    name: "Unavailable",
    description: "Not done: a dependency (database) is unavailable, or a read-only command " +
      "ran out of time; safe to retry",
    codes: ["db_unavailable", "upstream_error", "command_timeout"],
    headers: { "Retry-After": RETRY_AFTER },
  },
  "504": {
    name: "UpstreamTimeout",
    description: "Sent upstream (or the command ran out of time), outcome unknown: retry only " +
      "with the same Idempotency-Key",
    codes: ["upstream_timeout", "command_timeout"],
  },
};

/** A JSON media-type map for `schema`. */
export const jsonContent = (schema: unknown) => ({ "application/json": { schema } });
/** A `$ref` to `#/components/<kind>/<name>`. */
export const componentRef = (kind: string, name: string) => ({
  $ref: `#/components/${kind}/${name}`,
});

/** The operation responses for these error statuses, as `$ref`s to the components. */
export function errorResponses(statuses: readonly ErrorStatusCode[]): Record<string, unknown> {
  return Object.fromEntries(statuses.map((s) => [s, componentRef("responses", ERRORS[s].name)]));
}

/** The body schema of each error status, by component name. */
export function errorSchemas(): Record<string, unknown> {
  return Object.fromEntries(Object.values(ERRORS).map((e) => [e.name, errorSchema(e.codes)]));
}

/** The response component of each error status, by component name. */
export function errorComponents(): Record<string, unknown> {
  return Object.fromEntries(
    Object.values(ERRORS).map((e) => [e.name, {
      description: e.description,
      ...(e.headers ? { headers: e.headers } : {}),
      content: jsonContent(componentRef("schemas", e.name)),
    }]),
  );
}

function errorSchema(codes: readonly string[]) {
  return {
    type: "object",
    required: ["ok", "error"],
    properties: {
      ok: { const: false },
      error: {
        type: "object",
        required: ["code", "message"],
        properties: {
          code: { enum: codes },
          message: { type: "string" },
          details: { type: "object" },
        },
      },
    },
  };
}
