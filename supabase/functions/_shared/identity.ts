/**
 * Identity exchange: a linked chat account becomes a Principal with a freshly minted (or reused)
 * session token. Look-ups go through `resolve_chat_identity` (service role, narrow) and are cached
 * for at most 30 s; an unlinked account is remembered for 5 s. `forget` drops the cached identity
 * and token at once (on /link and /unlink).
 */
import type { ChatIdentity, SessionMinter } from "./auth/mint.ts";
import { TtlCache } from "./cache.ts";
import type { ServiceRpc } from "./db.ts";
import type { ChatAccount, Principal } from "./principal.ts";

/** Options for {@link createIdentityExchange}. */
export interface IdentityOptions {
  rpc: ServiceRpc;
  minter: SessionMinter;
  now?: () => number;
  identityTtlMs?: number;
  unlinkedTtlMs?: number;
  maxEntries?: number;
}

/** Resolves chat accounts to principals. */
export interface IdentityExchange {
  /** The linked user as a Principal, or null when the account is not linked. */
  principalFor(account: ChatAccount): Promise<Principal | null>;
  /** Drops cached identity and token for the account (this instance). */
  forget(account: Pick<ChatAccount, "provider" | "externalId">): void;
}

interface ResolvedRow {
  user_id: string;
  email: string | null;
  phone: string | null;
  app_metadata: Record<string, unknown>;
  user_metadata: Record<string, unknown>;
  is_anonymous: boolean;
}

/** Builds the identity exchange with its caches. */
export function createIdentityExchange(options: IdentityOptions): IdentityExchange {
  const now = options.now ?? Date.now;
  const identityTtl = Math.min(options.identityTtlMs ?? 30_000, 30_000);
  const unlinkedTtl = options.unlinkedTtlMs ?? 5_000;
  const identities = new TtlCache<string, ChatIdentity | null>({
    maxEntries: options.maxEntries ?? 10_000,
    now,
  });
  // Concurrent first requests from one account share one look-up.
  const inflight = new Map<string, Promise<ChatIdentity | null>>();

  const lookUp = async (account: ChatAccount, key: string): Promise<ChatIdentity | null> => {
    const row = await options.rpc<ResolvedRow | null>("resolve_chat_identity", {
      p_provider: account.provider,
      p_external_id: account.externalId,
    });
    const identity: ChatIdentity | null = row
      ? {
        provider: account.provider,
        externalId: account.externalId,
        userId: row.user_id,
        email: row.email,
        phone: row.phone,
        appMetadata: row.app_metadata ?? {},
        userMetadata: row.user_metadata ?? {},
        isAnonymous: row.is_anonymous,
      }
      : null;
    identities.set(key, identity, now() + (identity ? identityTtl : unlinkedTtl));
    return identity;
  };

  return {
    async principalFor(account) {
      const key = `${account.provider}:${account.externalId}`;
      let identity = identities.get(key);
      if (identity === undefined) {
        let pending = inflight.get(key);
        if (!pending) {
          pending = lookUp(account, key).finally(() => inflight.delete(key));
          inflight.set(key, pending);
        }
        identity = await pending;
      }
      if (!identity) return null;
      const session = await options.minter.mint(identity);
      // The principal is the token: its user and claims are those of the token actually sent.
      return {
        userId: String(session.claims.sub),
        token: session.token,
        expiresAt: session.expiresAt,
        claims: session.claims as Principal["claims"],
        channel: account.provider,
      };
    },
    forget(account) {
      identities.delete(`${account.provider}:${account.externalId}`);
      options.minter.forget(account.provider, account.externalId);
    },
  };
}
