/**
 * `POST /commands/{name}`: runs a command as the bearer-token user. The JSON body is the
 * arguments; an optional `Idempotency-Key` makes the call run at most once (a repeat replays the
 * stored answer, the same bytes; a concurrent repeat gets 409). This file only translates: the
 * request into a delivery, the outcome into the contract's JSON. Every rule is the pipeline's.
 */
import { parseJson, readBody } from "../../supabase/functions/_shared/body.ts";
import type { Core } from "../../supabase/functions/_shared/core.ts";
import { errorBody, GatewayError } from "../../supabase/functions/_shared/errors.ts";
import { errorResponse, json, jsonText } from "../../supabase/functions/_shared/http.ts";
import type { Caller, Outcome } from "../../supabase/functions/_shared/pipeline.ts";
import type { Route } from "../../supabase/functions/_shared/router.ts";

/**
 * A stored HTTPS answer, as the ledger keeps it for replays: the status and the body's JSON text
 * as it was sent, so a replay is the same bytes (Stripe's contract) and not the body re-serialised
 * from `jsonb`, which reorders keys. Answers stored by gateways before this carry `body`, a JSON
 * value, instead (replayed as before, so a rolling deploy keeps them working).
 */
type StoredAnswer = { status: number; json: string } | { status: number; body: unknown };

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;
const JSON_TYPE = /^application\/([\w.+-]*\+)?json\b/i;

/** Reads `Authorization: Bearer <token>`, or throws 401. */
export function bearerToken(req: Request): string {
  const header = req.headers.get("authorization");
  if (!header) {
    throw new GatewayError(401, "missing_token", "Send Authorization: Bearer <access token>.");
  }
  const match = /^Bearer\s+([A-Za-z0-9_\-.]+)$/i.exec(header.trim());
  if (!match) {
    throw new GatewayError(401, "invalid_token", "The Authorization header is not a bearer token.");
  }
  return match[1];
}

/** The route that runs commands. */
export function commandRoute(core: Core): Route {
  return {
    method: "POST",
    path: "/commands/:name",
    async handle(req, params, record) {
      record.channel = "http";
      const key = req.headers.get("idempotency-key");
      // Written once: what is sent is what is stored.
      let sent: { status: number; json: string } | undefined;
      const answerOf = (outcome: Outcome) => sent ??= answer(outcome);
      const result = await core.pipeline<StoredAnswer>({
        channel: "http",
        caller: callerOf(req, core.config.anonKey),
        command: params.name,
        args: await readArgs(req, key),
        id: key === null ? undefined : `http:${key}`,
        checkReuse: true,
        stored: answerOf,
        record,
      });
      if (result.replayed) return replay(result.stored);
      const { status, json } = answerOf(result.outcome);
      if (!result.outcome.ok) return errorResponse(result.outcome.error, undefined, json);
      return jsonText(json, status);
    },
  };
}

/**
 * Who calls: a user's access token, or nobody signed in (no Authorization header, or the anon or
 * publishable key, which supabase-js sends as the bearer when it has no session). Anything else
 * that is not a bearer token is a 401. Service-role tokens are refused by the verifier.
 */
function callerOf(req: Request, anonKey: string): Caller {
  const from = req.headers.get("x-forwarded-for")?.split(",")[0].trim() || "unknown";
  if (!req.headers.has("authorization")) return { kind: "anonymous", from };
  const token = bearerToken(req);
  if (token === anonKey || token.startsWith("sb_publishable_") || claimsAnon(token)) {
    return { kind: "anonymous", from };
  }
  return { kind: "token", token };
}

/**
 * Whether a JWT says `role: anon` (unverified: an anon caller gets nothing a forger wants).
 * Remembered per token (a client sends the same one on every call), a bounded number of them.
 */
function claimsAnon(token: string): boolean {
  let anon = decodedRoles.get(token);
  if (anon === undefined) {
    anon = decodeAnon(token);
    if (decodedRoles.size >= MAX_DECODED) decodedRoles.clear();
    decodedRoles.set(token, anon);
  }
  return anon;
}

const decodedRoles = new Map<string, boolean>();
const MAX_DECODED = 1_000;

function decodeAnon(token: string): boolean {
  const payload = token.split(".")[1];
  if (!payload) return false;
  try {
    const json = atob(payload.replaceAll("-", "+").replaceAll("_", "/"));
    return (JSON.parse(json) as { role?: unknown }).role === "anon";
  } catch {
    return false;
  }
}

/** The arguments of the request, or the 4xx that explains why they cannot be read. */
async function readArgs(
  req: Request,
  key: string | null,
): Promise<Record<string, unknown> | GatewayError> {
  try {
    if (key !== null && !IDEMPOTENCY_KEY.test(key)) {
      throw new GatewayError(
        400,
        "invalid_args",
        "Idempotency-Key must be 1-200 printable ASCII characters.",
      );
    }
    const type = req.headers.get("content-type");
    if (type && !JSON_TYPE.test(type)) {
      throw new GatewayError(
        415,
        "unsupported_media_type",
        "Send the arguments as JSON, with Content-Type: application/json.",
      );
    }
    const raw = parseJson(await readBody(req), {});
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
      throw new GatewayError(400, "invalid_args", "The body must be a JSON object of arguments.");
    }
    return raw as Record<string, unknown>;
  } catch (err) {
    if (err instanceof GatewayError && err.status < 500) return err;
    throw err;
  }
}

/** The contract's answer for an outcome: what is sent, and what a replay sends again. */
function answer(outcome: Outcome): { status: number; json: string } {
  if (!outcome.ok) {
    return { status: outcome.error.status, json: JSON.stringify(errorBody(outcome.error)) };
  }
  const { text, data, actions } = outcome.reply;
  const body = { ok: true, text, data: data ?? null, ...(actions?.length ? { actions } : {}) };
  return { status: 200, json: JSON.stringify(body) };
}

/** A stored answer sent again: its own bytes, or an older gateway's JSON value re-serialised. */
function replay(stored: StoredAnswer): Response {
  const headers = { "idempotent-replayed": "true" };
  if ("json" in stored && typeof stored.json === "string") {
    return jsonText(stored.json, stored.status, headers);
  }
  return json((stored as { body: unknown }).body, stored.status, headers);
}
