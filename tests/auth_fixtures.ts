/**
 * Shared fixtures of the auth unit tests: an issuer, a user and a chat identity, and key material
 * shaped as the Supabase CLI writes it, generated fresh for each test run (nothing is
 * committed). `supabase gen signing-key` (internal/gen/signingkeys/signingkeys.go) prints a private
 * JWK with `kid` (a UUID), `use: "sig"`, `key_ops: ["sign","verify"]`, `alg` and `ext: true`;
 * `ResolveJWKS` (pkg/config/config.go) publishes its public half with `key_ops: ["verify"]` and,
 * without signing keys, the legacy secret as `{"kty":"oct","k":"<base64url>"}`.
 */
import { base64url } from "jose";
import type { ChatIdentity } from "../supabase/functions/_shared/auth/mint.ts";

/** The hosted-style issuer the unit tests use. */
export const ISSUER = "https://abc.supabase.co/auth/v1";
/** A user id. */
export const USER = "5c7e1f6a-2b1d-4a57-9c3e-0a1b2c3d4e5f";
/** The smallest environment `loadConfig` accepts. */
export const BASE_ENV = {
  SUPABASE_URL: "https://abc.supabase.co",
  SUPABASE_ANON_KEY: "anon",
  SUPABASE_SERVICE_ROLE_KEY: "service",
};

/** A linked Telegram account of {@link USER}. */
export const identity: ChatIdentity = {
  provider: "telegram",
  externalId: "7001",
  userId: USER,
  email: "alice@example.com",
  phone: null,
  appMetadata: { provider: "email", providers: ["email"], team: "red" },
  userMetadata: { name: "Alice" },
  isAnonymous: false,
};

/** A CLI-shaped key pair: the private JWK, the published public JWK and the signing CryptoKey. */
export interface CliKey {
  privateJwk: Record<string, unknown>;
  publicJwk: Record<string, unknown>;
  privateKey: CryptoKey;
  kid: string;
  alg: "ES256" | "RS256";
}

/** Generates a key as `supabase gen signing-key --algorithm <alg>` would. */
export async function cliSigningKey(alg: "ES256" | "RS256" = "ES256"): Promise<CliKey> {
  const params = alg === "ES256" ? { name: "ECDSA", namedCurve: "P-256" } : {
    name: "RSASSA-PKCS1-v1_5",
    modulusLength: 2048,
    publicExponent: new Uint8Array([1, 0, 1]),
    hash: "SHA-256",
  };
  const pair = await crypto.subtle.generateKey(params, true, ["sign", "verify"]) as CryptoKeyPair;
  const material = await crypto.subtle.exportKey("jwk", pair.privateKey);
  delete material.key_ops;
  delete material.ext;
  delete material.alg;
  const kid = crypto.randomUUID();
  const privateJwk = {
    kty: material.kty,
    kid,
    use: "sig",
    key_ops: ["sign", "verify"],
    alg,
    ext: true,
    ...material,
  };
  const publicJwk: Record<string, unknown> = {
    kty: material.kty,
    kid,
    use: "sig",
    key_ops: ["verify"],
    alg,
    ext: true,
  };
  for (const field of ["crv", "x", "y", "n", "e"] as const) {
    if (material[field] !== undefined) publicJwk[field] = material[field];
  }
  return { privateJwk, publicJwk, privateKey: pair.privateKey, kid, alg };
}

/** The legacy JWT secret as `ResolveJWKS` puts it into `SUPABASE_JWKS`. */
export function octJwk(secret: string): Record<string, unknown> {
  return { kty: "oct", k: base64url.encode(secret) };
}

/** A random legacy-style JWT secret (the HMAC key is its UTF-8 bytes). */
export function randomSecret(): string {
  return base64url.encode(crypto.getRandomValues(new Uint8Array(32)));
}
