/**
 * Parsers for the key-bearing variables, in the shapes Supabase hands them out: the API key sets
 * (`SUPABASE_PUBLISHABLE_KEYS`, `SUPABASE_SECRET_KEYS`), the inline JWKS (`SUPABASE_JWKS`) and
 * the private signing key (`GATEWAY_SIGNING_KEY`). Everything here is synchronous, so a key that
 * cannot work stops `loadConfig` at once with a message naming its variable (never the value).
 */
import * as base64url from "jose/base64url";
import type { SigningKey } from "./auth/signing_key.ts";
import { ConfigError } from "./config_values.ts";

/**
 * One key from `SUPABASE_PUBLISHABLE_KEYS` / `SUPABASE_SECRET_KEYS`. The platform (and
 * `supabase functions serve`) inject a JSON object of name to key, `{"default":"sb_..."}`; the
 * `default` entry wins, else the first. A bare key string is taken as it is.
 */
export function keyFromSet(name: string, value: string | undefined): string | undefined {
  if (!value) return undefined;
  if (!value.startsWith("{")) return value;
  let keys: unknown;
  try {
    keys = JSON.parse(value);
  } catch {
    throw new ConfigError(`${name} is not valid JSON: expected {"default":"sb_..."}.`);
  }
  if (typeof keys !== "object" || keys === null || Array.isArray(keys)) {
    throw new ConfigError(`${name} must be a JSON object of named keys: {"default":"sb_..."}.`);
  }
  const named = keys as Record<string, unknown>;
  const key = named.default ?? Object.values(named)[0];
  if (key === undefined) return undefined;
  if (typeof key !== "string" || !key) {
    throw new ConfigError(`${name} must map names to key strings: {"default":"sb_..."}.`);
  }
  return key;
}

/**
 * Every key of `SUPABASE_SECRET_KEYS` (a bare key, or each value of the JSON object), for checks
 * that accept any of the project's secret keys (`POST /notify`). Malformed sets were already
 * refused by {@link keyFromSet}.
 */
export function keysOfSet(value: string | undefined): string[] {
  if (!value) return [];
  if (!value.startsWith("{")) return [value];
  return Object.values(JSON.parse(value) as Record<string, unknown>)
    .filter((key): key is string => typeof key === "string" && key !== "");
}

/** `SUPABASE_JWKS`, split: public keys for ES256/RS256, raw `oct` secrets for HS256. */
export interface ParsedJwks {
  keys: Record<string, unknown>[];
  hmacKeys: Uint8Array[];
}

/**
 * `SUPABASE_JWKS` as `{"keys":[...]}` or a bare array `[...]`. `supabase functions serve` adds
 * the legacy JWT secret as `{"kty":"oct","k":"<base64url>"}` (the CLI's `ResolveJWKS`): that
 * member is the HS256 secret, used for HS256 tokens only. A private asymmetric key is refused.
 */
export function parseJwks(text: string): ParsedJwks {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ConfigError('SUPABASE_JWKS is not valid JSON: expected {"keys":[...]} or [...].');
  }
  const keys = Array.isArray(parsed) ? parsed : (parsed as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.some((k) => typeof k !== "object" || k === null)) {
    throw new ConfigError('SUPABASE_JWKS must be a JSON Web Key Set: {"keys":[...]} or [...].');
  }
  const result: ParsedJwks = { keys: [], hmacKeys: [] };
  for (const key of keys as Record<string, unknown>[]) {
    if (key.kty === "oct") {
      const bytes = typeof key.k === "string" ? decode(key.k) : undefined;
      if (!bytes?.length) {
        throw new ConfigError("SUPABASE_JWKS has an 'oct' key without a base64url 'k'.");
      }
      result.hmacKeys.push(bytes);
    } else if ("d" in key) {
      throw new ConfigError("SUPABASE_JWKS must not hold private keys (a key has a 'd' member).");
    } else {
      result.keys.push(key);
    }
  }
  return result;
}

const NAME = "GATEWAY_SIGNING_KEY";
const EC_FIELDS = ["x", "y", "d"] as const;
const RSA_FIELDS = ["n", "e", "d", "p", "q", "dp", "dq", "qi"] as const;

/**
 * `GATEWAY_SIGNING_KEY`: a private ES256 (EC P-256) or RS256 (RSA >= 2048 bits) JWK, as
 * `supabase gen signing-key` prints it (with `kid`, `use`, `key_ops`, `alg`, `ext`) or bare; the
 * CLI's `signing_keys.json` (an array) is accepted too, and its first key used. Only the key material is kept:
 * `key_ops`, `use` and `ext` describe WebCrypto usage, and passing `key_ops: ["sign","verify"]`
 * on to WebCrypto for a private key is exactly what it refuses. The CLI writes EC values with
 * Go's `big.Int.Bytes()`, which drops leading zero bytes (about 1 key in 85 has one); they are
 * padded back to the 32 bytes RFC 7518 section 6.2 requires, which stricter WebCrypto
 * implementations insist on (Deno 2.9 happens to accept the short form).
 */
export function parseSigningKey(text: string): SigningKey {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ConfigError(`${NAME} is not valid JSON: expected a private JWK.`);
  }
  if (Array.isArray(parsed)) {
    // Every key of the file is in the local JWKS (the CLI's ResolveJWKS), so any of them works.
    if (!parsed.length) throw new ConfigError(`${NAME} is an empty array: expected a private JWK.`);
    parsed = parsed[0];
  }
  if (typeof parsed !== "object" || parsed === null) {
    throw new ConfigError(`${NAME} must be a private JWK object.`);
  }
  return signingKeyFromJwk(parsed as Record<string, unknown>);
}

/** Checks and normalises a private JWK object; see {@link parseSigningKey}. */
function signingKeyFromJwk(jwk: Record<string, unknown>): SigningKey {
  if (typeof jwk.d !== "string") {
    throw new ConfigError(`${NAME} must be a private JWK: it has no 'd' (is it the public key?).`);
  }
  if (typeof jwk.kid !== "string" || !jwk.kid) {
    throw new ConfigError(`${NAME} needs a 'kid' so verifiers can pick the key.`);
  }
  if (jwk.use !== undefined && jwk.use !== "sig") {
    throw new ConfigError(`${NAME} has use '${String(jwk.use)}': a signing key needs 'sig'.`);
  }
  if (jwk.kty === "EC") {
    if (jwk.crv !== "P-256") {
      throw new ConfigError(`${NAME} is an EC key on ${String(jwk.crv)}: ES256 needs P-256.`);
    }
    checkAlg(jwk, "ES256");
    const material: Record<string, string> = { kty: "EC", crv: "P-256" };
    for (const field of EC_FIELDS) material[field] = fixedLength(jwk[field], field, 32);
    return { alg: "ES256", kid: jwk.kid, jwk: material };
  }
  if (jwk.kty === "RSA") {
    checkAlg(jwk, "RS256");
    const material: Record<string, string> = { kty: "RSA" };
    for (const field of RSA_FIELDS) {
      if (typeof jwk[field] !== "string" || !decode(jwk[field] as string)?.length) {
        throw new ConfigError(`${NAME} is an RSA key without a valid '${field}' member.`);
      }
      material[field] = jwk[field] as string;
    }
    const modulus = decode(material.n)!;
    const bits = (modulus.length - modulus.findIndex((b) => b !== 0)) * 8;
    if (modulus.every((b) => b === 0) || bits < 2048) {
      throw new ConfigError(`${NAME} is an RSA key under 2048 bits: RS256 needs 2048 or more.`);
    }
    return { alg: "RS256", kid: jwk.kid, jwk: material };
  }
  throw new ConfigError(`${NAME} must be an EC (ES256) or RSA (RS256) key.`);
}

function checkAlg(jwk: Record<string, unknown>, alg: "ES256" | "RS256"): void {
  if (jwk.alg !== undefined && jwk.alg !== alg) {
    throw new ConfigError(`${NAME} says alg '${String(jwk.alg)}'; a ${jwk.kty} key signs ${alg}.`);
  }
}

/** A base64url field of at most `size` bytes, left-padded with zero bytes to exactly `size`. */
function fixedLength(value: unknown, field: string, size: number): string {
  const bytes = typeof value === "string" ? decode(value) : undefined;
  if (!bytes?.length || bytes.length > size) {
    throw new ConfigError(`${NAME} has no valid '${field}' for a P-256 key.`);
  }
  if (bytes.length === size) return value as string;
  const padded = new Uint8Array(size);
  padded.set(bytes, size - bytes.length);
  return base64url.encode(padded);
}

function decode(value: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(value)) return undefined;
  try {
    return base64url.decode(value);
  } catch {
    return undefined;
  }
}
