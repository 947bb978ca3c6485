/**
 * Verification of Supabase access tokens presented over HTTPS. Asymmetric tokens (ES256, RS256)
 * are checked against the project's JWKS (inline or fetched and cached); HS256 tokens against the
 * legacy secret only, so a public key can never be used as an HMAC secret. Verified tokens are
 * cached until they expire, so a client that reuses its token pays for the signature once.
 */
import { createLocalJWKSet, decodeProtectedHeader, errors as joseErrors, jwtVerify } from "jose";
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
  jwks?: { keys: Record<string, unknown>[] };
  jwksUrl?: string;
  jwtSecret?: string;
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
  const secret = options.jwtSecret ? new TextEncoder().encode(options.jwtSecret) : undefined;
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
        if (!secret) throw invalid("HS256 tokens are not accepted by this gateway.");
        ({ payload } = await jwtVerify(token, secret, { ...common, algorithms: ["HS256"] }));
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
  if (err instanceof GatewayError) return err;
  if (err instanceof joseErrors.JWKSNoMatchingKey) {
    return invalid("The access token was signed by an unknown key.");
  }
  if (err instanceof JwksUnavailableError) {
    return new GatewayError(503, "upstream_error", "Signing keys are unavailable; retry later.");
  }
  return invalid("The access token's signature is not valid.");
}

class JwksUnavailableError extends Error {}

/** The JWKS as a key resolver: inline, or fetched, cached and refetched on an unknown kid. */
function createKeySet(options: VerifierOptions, now: () => number): JWTVerifyGetKey {
  if (options.jwks) {
    return createLocalJWKSet(options.jwks as Parameters<typeof createLocalJWKSet>[0]);
  }
  const url = options.jwksUrl;
  const doFetch = options.fetch ?? fetch;
  let local: JWTVerifyGetKey | undefined;
  let fetchedAt = 0;
  let pending: Promise<void> | undefined;

  const refresh = () => {
    pending ??= (async () => {
      try {
        if (!url) throw new JwksUnavailableError("no JWKS configured");
        const res = await doFetch(url, { headers: { accept: "application/json" } });
        if (!res.ok) throw new JwksUnavailableError(`JWKS answered ${res.status}`);
        const set = await res.json();
        local = createLocalJWKSet(set);
        fetchedAt = now();
      } catch (err) {
        if (err instanceof JwksUnavailableError) throw err;
        throw new JwksUnavailableError("JWKS could not be fetched");
      } finally {
        pending = undefined;
      }
    })();
    return pending;
  };

  return async (header, token) => {
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
}
