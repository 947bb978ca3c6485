/**
 * Who is calling. Every channel turns its caller into a `Principal`: a real Supabase user with a
 * token PostgREST trusts. Chat channels also know the `ChatAccount` the message came from.
 */
import type { AccessClaims } from "./auth/verify.ts";

/** The ways into the gateway. */
export type Channel = "http" | "telegram" | "discord" | "slack";

/** A Telegram, Discord or Slack account, as the platform identified it. */
export interface ChatAccount {
  provider: Exclude<Channel, "http">;
  /**
   * The platform's user id: a decimal string (Telegram, Discord), or `<team id>:<user id>`
   * (Slack, e.g. `T0001:U2147483697`).
   */
  externalId: string;
  username?: string;
  displayName?: string;
}

/** A caller proven to be a Supabase user. */
export interface Principal {
  userId: string;
  /** The access token every database call of this request carries. */
  token: string;
  /** Seconds since epoch when `token` expires. */
  expiresAt: number;
  /** The claims of `token` itself (for minted sessions: after the access token hook). */
  claims: Readonly<AccessClaims>;
  channel: Channel;
}
