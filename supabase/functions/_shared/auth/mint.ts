/**
 * Minting short-lived user sessions for linked chat accounts. The token carries the claims
 * Supabase Auth puts into an access token, so PostgREST and every RLS policy treat it exactly like
 * the user's web session, plus a `gateway` claim naming the channel and chat account. Tokens are
 * reused until 30 s before they expire, and only for exactly the identity they were minted for
 * (the user, the chat account and every claim-bearing field): a chat account re-linked to another
 * user, or a user whose metadata changed, gets a new token, never the old one. `forget` drops an
 * account's tokens at once (on /link and /unlink).
 */
import { TtlCache } from "../cache.ts";
import { GatewayError } from "../errors.ts";
import { importSigningKey, type SigningKey } from "./signing_key.ts";
import type { ChatAccount } from "../principal.ts";

/** The subset of a user that goes into a token, as `resolve_chat_identity` returns it. */
export interface ChatIdentity {
  provider: ChatAccount["provider"];
  externalId: string;
  userId: string;
  email: string | null;
  phone: string | null;
  appMetadata: Record<string, unknown>;
  userMetadata: Record<string, unknown>;
  isAnonymous: boolean;
}

/** A signed token, the claims it carries (after the hook) and when it expires (epoch seconds). */
export interface MintedSession {
  token: string;
  expiresAt: number;
  claims: Readonly<Record<string, unknown>>;
}

/** Options for {@link createSessionMinter}. */
export interface MinterOptions {
  issuer: string;
  /** Checked private key (`parseSigningKey`); imported and self-tested when the minter is built. */
  signingKey?: SigningKey;
  jwtSecret?: string;
  /** Told once when the signing key fails its import or self-test (start-up); default: stderr. */
  onKeyError?: (error: Error) => void;
  ttlSeconds: number;
  now?: () => number;
  /** Supabase's custom access token hook: receives and returns the claims. */
  customizeClaims?: (
    event: { user_id: string; claims: Record<string, unknown>; authentication_method: string },
  ) => Promise<Record<string, unknown>>;
  maxCachedTokens?: number;
}

/** Mints and caches session tokens for chat identities. */
export interface SessionMinter {
  mint(identity: ChatIdentity): Promise<MintedSession>;
  forget(provider: string, externalId: string): void;
}

const REUSE_MARGIN_SECONDS = 30;

/** Builds the claims Supabase Auth would issue for this user, signed in through a chat account. */
export function sessionClaims(
  identity: ChatIdentity,
  issuer: string,
  nowSeconds: number,
  ttlSeconds: number,
): Record<string, unknown> {
  return {
    iss: issuer,
    sub: identity.userId,
    aud: "authenticated",
    exp: nowSeconds + ttlSeconds,
    iat: nowSeconds,
    email: identity.email ?? "",
    phone: identity.phone ?? "",
    app_metadata: identity.appMetadata,
    user_metadata: identity.userMetadata,
    role: "authenticated",
    aal: "aal1",
    amr: [{ method: identity.provider, timestamp: nowSeconds }],
    is_anonymous: identity.isAnonymous,
    gateway: { channel: identity.provider, external_id: identity.externalId },
  };
}

/** Builds a minter; throws at start-up when no key is configured. */
export function createSessionMinter(options: MinterOptions): SessionMinter {
  const now = options.now ?? Date.now;
  const cache = new TtlCache<string, MintedSession>({
    maxEntries: options.maxCachedTokens ?? 10_000,
    now,
  });
  const sign = createSigner(options);
  // Which cache keys belong to one chat account, so `forget` can drop them all.
  const keysOf = new Map<string, Set<string>>();

  return {
    async mint(identity) {
      const account = `${identity.provider}:${identity.externalId}`;
      const cacheKey = identityKey(identity);
      const hit = cache.get(cacheKey);
      if (hit) return hit;
      const nowSeconds = Math.floor(now() / 1000);
      let claims = sessionClaims(identity, options.issuer, nowSeconds, options.ttlSeconds);
      if (options.customizeClaims) {
        claims = await options.customizeClaims({
          user_id: identity.userId,
          claims,
          authentication_method: identity.provider,
        });
      }
      if (claims.sub !== identity.userId) {
        // A hook may add and change claims, never the user the session is for.
        throw new Error("The access token hook changed the sub claim.");
      }
      const session: MintedSession = {
        token: await sign(claims),
        expiresAt: Number(claims.exp),
        claims: Object.freeze(claims),
      };
      cache.set(cacheKey, session, (session.expiresAt - REUSE_MARGIN_SECONDS) * 1000);
      let keys = keysOf.get(account);
      if (!keys) keysOf.set(account, keys = new Set());
      keys.add(cacheKey);
      if (keysOf.size > (options.maxCachedTokens ?? 10_000)) {
        keysOf.delete(keysOf.keys().next().value!);
      }
      return session;
    },
    forget(provider, externalId) {
      const account = `${provider}:${externalId}`;
      for (const key of keysOf.get(account) ?? []) cache.delete(key);
      keysOf.delete(account);
    },
  };
}

/**
 * The cache key of a session: everything that goes into its claims. Two identities with the
 * same key get byte-identical claims (but for the times), so a cached token is always one that
 * would have been minted for this identity now.
 */
export function identityKey(identity: ChatIdentity): string {
  return JSON.stringify([
    identity.userId,
    identity.provider,
    identity.externalId,
    identity.email,
    identity.phone,
    identity.isAnonymous,
    identity.appMetadata,
    identity.userMetadata,
  ]);
}

/** jose's signer, loaded by the first session signed: a gateway serving only HTTPS never needs it. */
let joseSign: Promise<typeof import("jose/jwt/sign")> | undefined;
const signJwt = async () => (await (joseSign ??= import("jose/jwt/sign"))).SignJWT;

function createSigner(
  options: MinterOptions,
): (claims: Record<string, unknown>) => Promise<string> {
  if (options.signingKey) {
    const { alg, kid } = options.signingKey;
    // Imported now, not on the first chat message, so a bad key is reported at start-up. The
    // rejection is handled here (reported once), never left unhandled to kill the process.
    const report = options.onKeyError ?? ((e: Error) => console.error(`error: ${e.message}`));
    const ready: Promise<CryptoKey | undefined> = importSigningKey(options.signingKey).catch(
      (err: Error) => {
        report(err);
        return undefined;
      },
    );
    return async (claims) => {
      const cryptoKey = await ready;
      if (!cryptoKey) {
        throw new GatewayError(500, "internal", "Chat sessions cannot be signed: see the logs.");
      }
      const SignJWT = await signJwt();
      return await new SignJWT(claims)
        .setProtectedHeader({ alg, kid, typ: "JWT" })
        .sign(cryptoKey);
    };
  }
  if (options.jwtSecret) {
    const secret = new TextEncoder().encode(options.jwtSecret);
    return async (claims) => {
      const SignJWT = await signJwt();
      return await new SignJWT(claims).setProtectedHeader({ alg: "HS256", typ: "JWT" }).sign(
        secret,
      );
    };
  }
  throw new Error("Set GATEWAY_SIGNING_KEY or GATEWAY_JWT_SECRET to mint sessions.");
}
