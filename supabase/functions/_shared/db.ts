/**
 * Database access. `UserClients` hands out supabase-js clients that carry one caller's token, so
 * PostgREST applies that user's RLS; clients hold no session, start no timers and are cached by
 * token until it expires. `ServiceRpc` calls the narrow service-role SQL functions (identity
 * look-up, link codes, delivery ledger) and nothing else. `dbFailure` maps PostgREST errors to
 * the contract's statuses.
 */
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import { TtlCache } from "./cache.ts";
import type { GatewayConfig } from "./config.ts";
import { GatewayError } from "./errors.ts";

/** Milliseconds a PostgREST call may take before the gateway answers 503. */
const DB_TIMEOUT_MS = 10_000;

/** Creates (or reuses) a client acting as the user whose token it carries. */
export interface UserClients {
  forToken(token: string, expiresAt: number): SupabaseClient;
}

/** Builds the per-user client factory. */
export function createUserClients(
  config: Pick<GatewayConfig, "supabaseUrl" | "anonKey">,
  fetchImpl: typeof fetch,
  now: () => number = Date.now,
): UserClients {
  const clients = new TtlCache<string, SupabaseClient>({ maxEntries: 2_000, now });
  return {
    forToken(token, expiresAt) {
      let client = clients.get(token);
      if (!client) {
        client = createClient(config.supabaseUrl, config.anonKey, {
          accessToken: () => Promise.resolve(token),
          auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
          // Fail fast: a gateway answers 503 and lets the platform retry, instead of waiting
          // through supabase-js's back-off while Telegram or Discord time the request out.
          db: { retry: false, timeout: DB_TIMEOUT_MS },
          global: { fetch: fetchImpl },
        });
        clients.set(token, client, expiresAt * 1000);
      }
      return client;
    },
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
    try {
      res = await fetchImpl(`${config.restUrl}/rpc/${fn}`, {
        method: "POST",
        headers,
        body: JSON.stringify(args),
        signal: AbortSignal.timeout(DB_TIMEOUT_MS),
      });
    } catch {
      throw unavailable();
    }
    const text = await res.text();
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
}

/** Maps a PostgREST failure to the contract's status and a caller-safe message. */
export function dbFailure(error: DbErrorLike, what = "database call"): GatewayError {
  const { status, code } = error;
  if (status === 0 || status === 502 || status === 503 || status === 504 || status === 520) {
    return unavailable();
  }
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
  if (code && /^(22|23)/.test(code)) {
    return new GatewayError(400, "invalid_args", "The database rejected the values given.");
  }
  return new GatewayError(500, "internal", `Unexpected database answer to ${what}.`, {
    status,
    ...(code ? { db_code: code } : {}),
  });
}

function unavailable(): GatewayError {
  return new GatewayError(503, "db_unavailable", "The database is unavailable; retry later.");
}

/** A supabase-js result: data or error, as every query builder returns it. */
export interface DbResult<T> {
  data: T | null;
  error: { code?: string; message?: string } | null;
  status: number;
}

/** Returns the data of a supabase-js result or throws the mapped {@link GatewayError}. */
export function unwrap<T>(result: DbResult<T>, what?: string): T {
  if (result.error) {
    throw dbFailure({
      status: result.status,
      code: result.error.code,
      message: result.error.message,
    }, what);
  }
  return result.data as T;
}
