/**
 * Verification of Supabase access tokens presented over HTTPS. Asymmetric tokens (ES256, RS256)
 * are checked against the project's JWKS (inline, else fetched and cached; a kid the inline set
 * lacks causes one rate-limited fetch); HS256 tokens against the legacy secret only
 * (`GATEWAY_JWT_SECRET` or an `oct` key of `SUPABASE_JWKS`), so a public key can never be used as
 * an HMAC secret. Verified tokens are cached until they expire, so a client that reuses its token
 * pays for the signature once; one checked against fetched keys is checked again when a check
 * without the cache would fetch them again, so a key withdrawn from the JWKS stops its tokens as
 * soon as it would without the cache.
 */
// jose's subpaths, not its index: the index loads every JOSE module (JWE, key generation, ...)
// and costs the cold start about 4 ms more.
import { decodeProtectedHeader } from "jose/decode/protected_header";
import * as joseErrors from "jose/errors";
import { jwtVerify } from "jose/jwt/verify";
import type { JWTPayload } from "jose";
import { TtlCache } from "../cache.ts";
import { GatewayError } from "../errors.ts";
import { createKeySet, JwksUnavailableError } from "./key_set.ts";

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

/** A function that verifies an access token and returns its claims or throws a 401. */
export type AccessTokenVerifier = (token: string) => Promise<AccessClaims>;

/** Builds a verifier for the project's access tokens. */
export function createAccessTokenVerifier(options: VerifierOptions): AccessTokenVerifier {
  const now = options.now ?? Date.now;
  const leeway = options.leewaySeconds ?? 5;
  // A verified token, its kid, and the fetched key set it was checked against (null: a secret or
  // an inline key, which cannot change while the function runs).
  const verified = new TtlCache<
    string,
    { claims: AccessClaims; kid: string | undefined; keys: number | null }
  >({
    maxEntries: options.maxCachedTokens ?? 10_000,
    now,
  });
  const secrets = hmacSecrets(options);
  const keySet = createKeySet(options, now);

  const unexpired = (claims: AccessClaims) => {
    if (claims.exp * 1000 + leeway * 1000 <= now()) throw invalid("The access token has expired.");
    return claims;
  };

  const check = async (token: string): Promise<AccessClaims> => {
    let alg: string | undefined;
    let kid: string | undefined;
    try {
      ({ alg, kid } = decodeProtectedHeader(token));
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
    let keys: number | null = null;
    try {
      if (alg === "HS256") {
        if (!secrets.length) throw invalid("HS256 tokens are not accepted by this gateway.");
        ({ payload } = await verifyHmac(token, secrets, { ...common, algorithms: ["HS256"] }));
      } else if (alg && ASYMMETRIC_ALGS.includes(alg)) {
        keys = 0;
        ({ payload } = await jwtVerify(token, keySet.resolve, {
          ...common,
          algorithms: ASYMMETRIC_ALGS,
        }));
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
    // The fetched set as it is now: a verification that fetched it names the new one.
    if (keys !== null) keys = keySet.version(kid);
    verified.set(token, { claims, kid, keys }, claims.exp * 1000);
    return claims;
  };

  return async (token) => {
    const hit = verified.get(token);
    if (!hit) return await check(token);
    // Checked against keys since fetched again, or due a refetch: checked again, so a key taken
    // out of the JWKS stops its tokens here as it would without the cache. While the JWKS cannot
    // be fetched, a token already checked stays accepted (nothing says its key was withdrawn).
    if (hit.keys !== null && hit.keys !== keySet.version(hit.kid)) {
      try {
        return await check(token);
      } catch (err) {
        if (!(err instanceof GatewayError) || err.status !== 503) {
          verified.delete(token);
          throw err;
        }
      }
    }
    return unexpired(hit.claims);
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
