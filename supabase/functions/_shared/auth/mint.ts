/**
 * Minting short-lived user sessions for linked chat accounts. The token carries the claims
 * Supabase Auth puts into an access token, so PostgREST and every RLS policy treat it exactly like
 * the user's web session, plus a `gateway` claim naming the channel and chat account. Tokens are
 * reused until 30 s before they expire; `forget` drops one at once (on /unlink).
 */
import { SignJWT } from "jose";
import { TtlCache } from "../cache.ts";
import { GatewayError } from "../errors.ts";
import { importSigningKey, type SigningKey } from "./signing_key.ts";

/** The subset of a user that goes into a token, as `resolve_chat_identity` returns it. */
export interface ChatIdentity {
  provider: "telegram" | "discord";
  externalId: string;
  userId: string;
  email: string | null;
  phone: string | null;
  appMetadata: Record<string, unknown>;
  userMetadata: Record<string, unknown>;
  isAnonymous: boolean;
}

/** A signed token and when it stops being valid (seconds since epoch). */
export interface MintedSession {
  token: string;
  expiresAt: number;
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

  return {
    async mint(identity) {
      const cacheKey = `${identity.provider}:${identity.externalId}`;
      const hit = cache.get(cacheKey);
      if (hit && hit.token) return hit;
      const nowSeconds = Math.floor(now() / 1000);
      let claims = sessionClaims(identity, options.issuer, nowSeconds, options.ttlSeconds);
      if (options.customizeClaims) {
        claims = await options.customizeClaims({
          user_id: identity.userId,
          claims,
          authentication_method: identity.provider,
        });
      }
      const session = { token: await sign(claims), expiresAt: Number(claims.exp) };
      cache.set(cacheKey, session, (session.expiresAt - REUSE_MARGIN_SECONDS) * 1000);
      return session;
    },
    forget(provider, externalId) {
      cache.delete(`${provider}:${externalId}`);
    },
  };
}

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
      return await new SignJWT(claims)
        .setProtectedHeader({ alg, kid, typ: "JWT" })
        .sign(cryptoKey);
    };
  }
  if (options.jwtSecret) {
    const secret = new TextEncoder().encode(options.jwtSecret);
    return async (claims) =>
      await new SignJWT(claims).setProtectedHeader({ alg: "HS256", typ: "JWT" }).sign(secret);
  }
  throw new Error("Set GATEWAY_SIGNING_KEY or GATEWAY_JWT_SECRET to mint sessions.");
}
