/**
 * The project's public signing keys, as the verifier resolves a token's key: the inline JWKS
 * (`SUPABASE_JWKS`) and/or the JWKS URL, fetched and cached (a kid the inline set lacks causes
 * one rate-limited fetch). It also tells the verifier's token cache which fetched set a verified
 * token depends on, so a cached token is checked again once that set is fetched again.
 */
import * as joseErrors from "jose/errors";
import { createLocalJWKSet } from "jose/jwks/local";
import type { JWTVerifyGetKey } from "jose";

/** Where the keys come from (see `VerifierOptions`). */
export interface KeySetOptions {
  jwks?: { keys: Record<string, unknown>[] };
  jwksUrl?: string;
  fetch?: typeof fetch;
}

const JWKS_TTL_MS = 10 * 60_000;
const JWKS_REFETCH_COOLDOWN_MS = 30_000;

/** The JWKS could not be fetched (a 503 for the caller, not a 401). */
export class JwksUnavailableError extends Error {}

/** The project's public keys: a resolver for jose, and which fetched set a kid depends on. */
export interface KeySet {
  resolve: JWTVerifyGetKey;
  /**
   * Null for a kid of the inline set (fixed while the function runs); else a number naming the
   * fetched set in use, which changes when the set is fetched again and is -1 once a verification
   * without the cache would fetch it again (past {@link JWKS_TTL_MS}; with an inline set, past
   * the refetch cooldown).
   */
  version(kid: string | undefined): number | null;
}

/**
 * The JWKS as a key resolver. With an inline set, a kid it lacks (a key added since the function
 * started) asks the JWKS URL, at most once per cooldown whatever the outcome; without one the URL
 * is the source, cached for {@link JWKS_TTL_MS} and refetched on an unknown kid.
 */
export function createKeySet(options: KeySetOptions, now: () => number): KeySet {
  const inline = options.jwks?.keys.length
    ? createLocalJWKSet(options.jwks as Parameters<typeof createLocalJWKSet>[0])
    : undefined;
  const remote = createRemoteKeySet(options, now);
  if (!inline) return { resolve: remote.resolve, version: () => remote.version(JWKS_TTL_MS) };
  const inlineKids = new Set(options.jwks!.keys.map((key) => key.kid));
  return {
    async resolve(header, token) {
      try {
        return await inline(header, token);
      } catch (err) {
        if (!(err instanceof joseErrors.JWKSNoMatchingKey) || !options.jwksUrl) throw err;
      }
      return await remote.resolveUnknown(header, token);
    },
    version: (kid) => inlineKids.has(kid) ? null : remote.version(JWKS_REFETCH_COOLDOWN_MS),
  };
}

/** The fetched JWKS: `resolve` as the primary source, `resolveUnknown` as the inline fallback. */
function createRemoteKeySet(options: KeySetOptions, now: () => number) {
  const url = options.jwksUrl;
  const doFetch = options.fetch ?? fetch;
  let local: JWTVerifyGetKey | undefined;
  let fetchedAt = 0;
  let attemptedAt = -Infinity;
  let failed = false;
  let pending: Promise<void> | undefined;
  let generation = 0;

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
        generation++;
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

  return {
    resolve,
    resolveUnknown,
    /** The fetched set's number, or -1 once it is older than `maxAgeMs`. */
    version: (maxAgeMs: number) => (local && now() - fetchedAt > maxAgeMs ? -1 : generation),
  };
}
