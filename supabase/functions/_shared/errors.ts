/**
 * The gateway's one error type. Every failure a caller can see is a `GatewayError` with an HTTP
 * status and a stable code from {@link ErrorCode}; the top-level handler turns it into the
 * contract's JSON. Messages are written for the caller and never carry tokens, keys or stack
 * traces.
 */

/** Stable error codes: clients and tests match on these, never on message text. */
export type ErrorCode =
  | "bad_json"
  | "invalid_args"
  | "missing_token"
  | "invalid_token"
  | "forbidden"
  | "not_linked"
  | "unknown_command"
  | "not_found"
  | "channel_disabled"
  | "method_not_allowed"
  | "unsupported_media_type"
  | "idempotency_in_progress"
  | "idempotency_key_reused"
  | "conflict"
  | "payload_too_large"
  | "rate_limited"
  | "db_unavailable"
  | "upstream_timeout"
  | "command_timeout"
  | "upstream_error"
  | "internal";

/** An error with an HTTP status, a stable code and a message safe to show to the caller. */
export class GatewayError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    /** For the log only (e.g. a database error code); never sent to the caller. */
    readonly logDetail?: string,
  ) {
    super(message);
    this.name = "GatewayError";
  }
}

/** The contract's JSON body for an error. */
export function errorBody(err: GatewayError): {
  ok: false;
  error: { code: ErrorCode; message: string; details?: Record<string, unknown> };
} {
  const error: { code: ErrorCode; message: string; details?: Record<string, unknown> } = {
    code: err.code,
    message: err.message,
  };
  if (err.details) error.details = err.details;
  return { ok: false, error };
}

/**
 * Turns anything thrown into a `GatewayError`. Unknown errors become a generic 500 whose message
 * reveals nothing; the caller logs the original (`internalDetail`) without secrets.
 */
export function asGatewayError(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  return new GatewayError(500, "internal", "Internal error. It has been logged.");
}

/** A short description of an unknown error for the log: name and message, no stack. */
export function internalDetail(err: unknown): string {
  if (err instanceof GatewayError) {
    return `${err.code}: ${err.logDetail ?? err.message}`.slice(0, 300);
  }
  if (err instanceof Error) return `${err.name}: ${err.message}`.slice(0, 300);
  return String(err).slice(0, 300);
}
