/**
 * Local stand-in for Supabase Auth's token endpoint: access tokens for demo users, signed with
 * the dev ES256 key and carrying the claims Supabase Auth issues for a password sign-in. Used by
 * `deno task token`, the tests and the benchmark. Local development only.
 */
import { importJWK, SignJWT } from "jose";
import type { DevSigningJwk } from "./keys.ts";

/** The user fields a token is built from (as in auth.users). */
export interface DevUser {
  id: string;
  email: string | null;
  phone?: string | null;
  app_metadata?: Record<string, unknown>;
  user_metadata?: Record<string, unknown>;
  is_anonymous?: boolean;
}

/** Extra options: claim overrides (tests forge bad tokens with these) and lifetime. */
export interface DevTokenOptions {
  ttlSeconds?: number;
  claims?: Record<string, unknown>;
  now?: number;
}

/** Signs an access token for `user`, as Supabase Auth would after a password sign-in. */
export async function devAccessToken(
  key: DevSigningJwk,
  issuer: string,
  user: DevUser,
  options: DevTokenOptions = {},
): Promise<string> {
  const iat = Math.floor((options.now ?? Date.now()) / 1000);
  const claims = {
    iss: issuer,
    sub: user.id,
    aud: "authenticated",
    exp: iat + (options.ttlSeconds ?? 3600),
    iat,
    email: user.email ?? "",
    phone: user.phone ?? "",
    app_metadata: user.app_metadata ?? { provider: "email", providers: ["email"] },
    user_metadata: user.user_metadata ?? {},
    role: "authenticated",
    aal: "aal1",
    amr: [{ method: "password", timestamp: iat }],
    session_id: crypto.randomUUID(),
    is_anonymous: user.is_anonymous ?? false,
    ...options.claims,
  };
  return await new SignJWT(claims)
    .setProtectedHeader({ alg: "ES256", kid: key.kid, typ: "JWT" })
    .sign(await importJWK(key, "ES256"));
}
