/**
 * Verification of Supabase access tokens presented over HTTPS. Asymmetric tokens (ES256, RS256)
 * are checked against the project's JWKS (inline, else fetched and cached; a kid the inline set
 * lacks causes one rate-limited fetch); HS256 tokens against the legacy secret only
 * (`GATEWAY_JWT_SECRET` or an `oct` key of `SUPABASE_JWKS`), so a public key can never be used as
 * an HMAC secret. Verified tokens are cached until they expire, so a client that reuses its token
 * pays for the signature once.
 */
// jose's subpaths, not its index: the index loads every JOSE module (JWE, key generation, ...)
// and costs the cold start about 4 ms more.
import { decodeProtectedHeader } from "jose/decode/protected_header";
import * as joseErrors from "jose/errors";
import { createLocalJWKSet } from "jose/jwks/local";
import { jwtVerify } from "jose/jwt/verify";
import type { JWTPayload, JWTVerifyGetKey } from "jose";
import { TtlCache } from "../cache.ts";
import { GatewayError } from "../errors.ts";

/** The claims the gateway relies on, after verification. */
export interface AccessClaims extends JWTPayload {
  sub: string;
  role: string;
  exp: number;
  email?: string;
  app_metadata?: Record<string, unknown>;
  user_metadata?: Record<string, unknown>;
}

/** Options for {@link createAccessTokenVerifier}. */
export interface VerifierOptions {
  issuer: string;
  /** Inline public keys (`SUPABASE_JWKS`); tried before `jwksUrl`. */
  jwks?: { keys: Record<string, unknown>[] };
  jwksUrl?: string;
  jwtSecret?: string;
  /** Further HS256 secrets, as raw bytes (the `oct` keys of `SUPABASE_JWKS`). */
  hmacKeys?: Uint8Array[];
  fetch?: typeof fetch;
  now?: () => number;
  /** Seconds of clock skew tolerated for exp/nbf/iat. */
  leewaySeconds?: number;
  maxCachedTokens?: number;
}

const ASYMMETRIC_ALGS = ["ES256", "RS256"];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const JWKS_TTL_MS = 10 * 60_000;
const JWKS_REFETCH_COOLDOWN_MS = 30_000;

/** A function that verifies an access token and returns its claims or throws a 401. */
export type AccessTokenVerifier = (token: string) => Promise<AccessClaims>;

/** Builds a verifier for the project's access tokens. */
export function createAccessTokenVerifier(options: VerifierOptions): AccessTokenVerifier {
  const now = options.now ?? Date.now;
  const leeway = options.leewaySeconds ?? 5;
  const verified = new TtlCache<string, AccessClaims>({
    maxEntries: options.maxCachedTokens ?? 10_000,
    now,
  });
  const secrets = hmacSecrets(options);
  const keySet = createKeySet(options, now);

  return async (token) => {
    const hit = verified.get(token);
    if (hit) {
      if (hit.exp * 1000 + leeway * 1000 <= now()) throw invalid("The access token has expired.");
      return hit;
    }
    let alg: string | undefined;
    try {
      alg = decodeProtectedHeader(token).alg;
    } catch {
      throw invalid("The access token is not a JWT.");
    }
    const common = {
      issuer: options.issuer,
      audience: "authenticated",
      clockTolerance: leeway,
      currentDate: new Date(now()),
      requiredClaims: ["exp", "sub", "role"],
    };
    let payload: JWTPayload;
    try {
      if (alg === "HS256") {
        if (!secrets.length) throw invalid("HS256 tokens are not accepted by this gateway.");
        ({ payload } = await verifyHmac(token, secrets, { ...common, algorithms: ["HS256"] }));
      } else if (alg && ASYMMETRIC_ALGS.includes(alg)) {
        ({ payload } = await jwtVerify(token, keySet, { ...common, algorithms: ASYMMETRIC_ALGS }));
      } else {
        throw invalid("The access token's algorithm is not allowed.");
      }
    } catch (err) {
      throw toInvalid(err);
    }
    const claims = payload as AccessClaims;
    if (claims.role !== "authenticated") {
      throw invalid("The token's role must be 'authenticated': use a signed-in user's token.");
    }
    if (typeof claims.sub !== "string" || !UUID.test(claims.sub)) {
      throw invalid("The token's subject is not a user id.");
    }
    verified.set(token, claims, claims.exp * 1000);
    return claims;
  };
}

function invalid(message: string): GatewayError {
  return new GatewayError(401, "invalid_token", message);
}

function toInvalid(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  if (err instanceof joseErrors.JWTExpired) return invalid("The access token has expired.");
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    // jose names the claim (exp, nbf, iss, aud); never the token itself.
    return invalid(`The access token's '${err.claim}' claim is not acceptable.`);
  }
  if (err instanceof joseErrors.JWKSNoMatchingKey) {
    return invalid("The access token was signed by an unknown key.");
  }
  if (err instanceof JwksUnavailableError) {
    return new GatewayError(503, "upstream_error", "Signing keys are unavailable; retry later.");
  }
  return invalid("The access token's signature is not valid.");
}

class JwksUnavailableError extends Error {}

/** The distinct HS256 secrets: `GATEWAY_JWT_SECRET` (its UTF-8 bytes) and the JWKS `oct` keys. */
function hmacSecrets(options: VerifierOptions): Uint8Array[] {
  const all = [
    ...(options.jwtSecret ? [new TextEncoder().encode(options.jwtSecret)] : []),
    ...(options.hmacKeys ?? []),
  ];
  return all.filter((key, i) =>
    all.findIndex((other) => other.length === key.length && other.every((b, j) => b === key[j])) ===
      i
  );
}

/** Verifies with each secret in turn (normally one: the same secret under both names). */
async function verifyHmac(
  token: string,
  secrets: Uint8Array[],
  options: Parameters<typeof jwtVerify>[2],
): Promise<{ payload: JWTPayload }> {
  for (let i = 0;; i++) {
    try {
      return await jwtVerify(token, secrets[i], options);
    } catch (err) {
      const last = i === secrets.length - 1;
      if (last || !(err instanceof joseErrors.JWSSignatureVerificationFailed)) throw err;
    }
  }
}

/**
 * The JWKS as a key resolver. With an inline set, a kid it lacks (a key added since the function
 * started) asks the JWKS URL, at most once per cooldown whatever the outcome; without one the URL
 * is the source, cached for {@link JWKS_TTL_MS} and refetched on an unknown kid.
 */
function createKeySet(options: VerifierOptions, now: () => number): JWTVerifyGetKey {
  const inline = options.jwks?.keys.length
    ? createLocalJWKSet(options.jwks as Parameters<typeof createLocalJWKSet>[0])
    : undefined;
  const remote = createRemoteKeySet(options, now);
  if (!inline) return remote.resolve;
  return async (header, token) => {
    try {
      return await inline(header, token);
    } catch (err) {
      if (!(err instanceof joseErrors.JWKSNoMatchingKey) || !options.jwksUrl) throw err;
    }
    return await remote.resolveUnknown(header, token);
  };
}

/** The fetched JWKS: `resolve` as the primary source, `resolveUnknown` as the inline fallback. */
function createRemoteKeySet(options: VerifierOptions, now: () => number) {
  const url = options.jwksUrl;
  const doFetch = options.fetch ?? fetch;
  let local: JWTVerifyGetKey | undefined;
  let fetchedAt = 0;
  let attemptedAt = -Infinity;
  let failed = false;
  let pending: Promise<void> | undefined;

  const refresh = () => {
    attemptedAt = now();
    pending ??= (async () => {
      try {
        if (!url) throw new JwksUnavailableError("no JWKS configured");
        const res = await doFetch(url, { headers: { accept: "application/json" } });
        if (!res.ok) throw new JwksUnavailableError(`JWKS answered ${res.status}`);
        const body = await res.json();
        local = createLocalJWKSet(Array.isArray(body) ? { keys: body } : body);
        fetchedAt = now();
        failed = false;
      } catch (err) {
        failed = true;
        if (err instanceof JwksUnavailableError) throw err;
        throw new JwksUnavailableError("JWKS could not be fetched");
      } finally {
        pending = undefined;
      }
    })();
    return pending;
  };

  const resolve: JWTVerifyGetKey = async (header, token) => {
    if (!local || now() - fetchedAt > JWKS_TTL_MS) await refresh();
    try {
      return await local!(header, token);
    } catch (err) {
      // A rotated key: fetch again, at most once per cooldown.
      if (
        err instanceof joseErrors.JWKSNoMatchingKey && now() - fetchedAt > JWKS_REFETCH_COOLDOWN_MS
      ) {
        await refresh();
        return await local!(header, token);
      }
      throw err;
    }
  };

  const resolveUnknown: JWTVerifyGetKey = async (header, token) => {
    if (pending) await pending;
    else if (now() - attemptedAt > JWKS_REFETCH_COOLDOWN_MS) await refresh();
    else if (failed) throw new JwksUnavailableError("JWKS fetch failed within the cooldown");
    if (!local) throw new joseErrors.JWKSNoMatchingKey();
    return await local(header, token);
  };

  return { resolve, resolveUnknown };
}
