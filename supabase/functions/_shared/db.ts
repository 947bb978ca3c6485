/**
 * Database access besides the users' own clients (user_clients.ts): `ServiceRpc` calls the narrow
 * service-role SQL functions (identity look-up, link codes, delivery ledger) and nothing else;
 * `withDeadline` bounds PostgREST calls; `dbFailure` maps PostgREST errors to the contract's
 * statuses.
 */
import { deadlines } from "./deadlines.ts";
import type { GatewayConfig } from "./config.ts";
import { GatewayError } from "./errors.ts";

/**
 * Milliseconds one PostgREST call may take. Past it the call is abandoned and the outcome is
 * unknown (504 `upstream_timeout`): the request reached PostgREST and may still commit.
 */
export const DB_TIMEOUT_MS = 5_000;

/**
 * `fetchImpl` with each call to a URL under `prefix` (PostgREST's; other calls, e.g. a command's
 * storage upload, are left alone) abandoned after `ms`, rejecting with a `TimeoutError` that
 * {@link fetchFailure} and supabase-js report as a timeout (504 `upstream_timeout`). The deadline
 * is one of the shared coarse ones (deadlines.ts).
 */
export function withDeadline(
  fetchImpl: typeof fetch,
  ms: number,
  prefix: string,
): typeof fetch {
  return async (input, init) => {
    if (typeof input !== "string" || !input.startsWith(prefix)) return fetchImpl(input, init);
    const { signal, done } = deadlines.signal(ms, init?.signal);
    try {
      return await fetchImpl(input, { ...init, signal });
    } finally {
      done();
    }
  };
}

/** Calls a service-role-only SQL function through PostgREST and returns its JSON result. */
export type ServiceRpc = <T>(fn: string, args: Record<string, unknown>) => Promise<T>;

/** Builds the service-role RPC caller. The key is sent as a bearer only when it is a JWT. */
export function createServiceRpc(
  config: Pick<GatewayConfig, "restUrl" | "serviceKey">,
  fetchImpl: typeof fetch,
): ServiceRpc {
  const headers: Record<string, string> = {
    apikey: config.serviceKey,
    "content-type": "application/json",
    accept: "application/json",
  };
  // Legacy service_role keys are JWTs PostgREST verifies; new sb_secret_ keys are exchanged by
  // the platform's API gateway and must not be sent as a bearer.
  if (config.serviceKey.split(".").length === 3) {
    headers.authorization = `Bearer ${config.serviceKey}`;
  }
  return async <T>(fn: string, args: Record<string, unknown>) => {
    let res: Response;
    let text: string;
    // A deadline dropped with the call (AbortSignal.timeout would live on for the whole timeout).
    const { signal, done } = deadlines.signal(DB_TIMEOUT_MS);
    try {
      res = await fetchImpl(`${config.restUrl}/rpc/${fn}`, {
        method: "POST",
        headers,
        body: JSON.stringify(args),
        signal,
      });
      text = await res.text();
    } catch (err) {
      throw fetchFailure(err);
    } finally {
      done();
    }
    if (!res.ok) {
      let body: { code?: string; message?: string } = {};
      try {
        body = JSON.parse(text);
      } catch { /* not JSON: status alone decides */ }
      throw dbFailure({ status: res.status, code: body.code, message: body.message }, fn);
    }
    return (text ? JSON.parse(text) : null) as T;
  };
}

/** The parts of a PostgREST error the mapping needs. */
export interface DbErrorLike {
  status: number;
  code?: string;
  message?: string;
  details?: string;
}

/** Maps a PostgREST failure to the contract's status and a caller-safe message. */
export function dbFailure(error: DbErrorLike, what = "database call"): GatewayError {
  const { status, code } = error;
  if (status === 0) return failedCall(`${error.message ?? ""} ${error.details ?? ""}`);
  if (status === 502 || status === 503 || status === 520) return unavailable();
  if (status === 504) return timedOut();
  if (code === "PGRST301" || code === "PGRST303" || status === 401) {
    return new GatewayError(401, "invalid_token", "The session was rejected by the database.");
  }
  if (code === "42501" || status === 403) {
    return new GatewayError(403, "forbidden", "Not allowed by the database's access policies.");
  }
  if (code === "PGRST116" || status === 404 || status === 406) {
    return new GatewayError(404, "not_found", "Nothing found.");
  }
  if (code === "23505" || status === 409) {
    return new GatewayError(409, "conflict", "That conflicts with existing data.");
  }
  // PGRST1xx: PostgREST could not read the request (e.g. a lone UTF-16 surrogate in the JSON);
  // 22xxx, 23xxx: Postgres refused the values (bad text, out of range, a check constraint).
  if (code && /^(PGRST1\d\d|22|23)/.test(code)) {
    return new GatewayError(400, "invalid_args", "The database rejected the values given.");
  }
  // Never more than this to the caller: database codes and messages stay in the log.
  return new GatewayError(
    500,
    "internal",
    `Unexpected database answer to ${what}.`,
    undefined,
    `status ${status}${code ? `, code ${code}` : ""}`,
  );
}

/**
 * A fetch that failed without an HTTP answer. A refused connection (or a name that does not
 * resolve) never reached PostgREST: not done, safe to retry (503). Anything else, a timeout or a
 * connection dropped mid-request, may have reached it: outcome unknown (504).
 */
export function fetchFailure(err: unknown): GatewayError {
  const cause = (err as { cause?: unknown })?.cause;
  return failedCall(`${(err as Error)?.name ?? ""}: ${String(err)} ${String(cause ?? "")}`);
}

function failedCall(description: string): GatewayError {
  if (/\(Connect\)|Connection refused|dns error|failed to lookup|are blocked/i.test(description)) {
    return unavailable();
  }
  return timedOut();
}

function unavailable(): GatewayError {
  return new GatewayError(503, "db_unavailable", "The database is unavailable; retry later.");
}

function timedOut(): GatewayError {
  return new GatewayError(
    504,
    "upstream_timeout",
    "The database did not answer in time; the request may or may not have been applied. " +
      "Retry only with the same Idempotency-Key.",
  );
}

/** A supabase-js result: data or error, as every query builder returns it. */
export interface DbResult<T> {
  data: T | null;
  error: { code?: string; message?: string; details?: string } | null;
  status: number;
}

/** Returns the data of a supabase-js result or throws the mapped {@link GatewayError}. */
export function unwrap<T>(result: DbResult<T>, what?: string): T {
  if (result.error) {
    throw dbFailure({
      status: result.status,
      code: result.error.code,
      message: result.error.message,
      details: result.error.details,
    }, what);
  }
  return result.data as T;
}
