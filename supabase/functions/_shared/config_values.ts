/**
 * Parsers for single configuration values. Each names its variable in the error it throws, so a
 * bad setting stops start-up with a message that says what to fix.
 */

/** Thrown for a missing or malformed variable; the message names it and says what to do. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** The value, or a ConfigError naming the variable. */
export function required(value: string | undefined, name: string, why = "it is required"): string {
  if (value === undefined) throw new ConfigError(`${name} is not set: ${why}.`);
  return value;
}

/** An http(s) URL without a trailing slash. */
export function baseUrl(name: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`${name} is not a URL.`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new ConfigError(`${name} must be an http(s) URL.`);
  }
  if (url.search || url.hash) throw new ConfigError(`${name} must not have a query or fragment.`);
  return url.href.replace(/\/+$/, "");
}

/** A whole number within a range, or the fallback when unset. */
export function integer(
  name: string,
  value: string | undefined,
  fallback: number,
  range: { min: number; max: number },
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < range.min || n > range.max) {
    throw new ConfigError(`${name} must be a whole number from ${range.min} to ${range.max}.`);
  }
  return n;
}

/** `SUPABASE_PUBLISHABLE_KEYS` / `SUPABASE_SECRET_KEYS` hold a JSON object of named keys. */
export function firstKey(value: string | undefined): string | undefined {
  if (!value) return undefined;
  if (!value.startsWith("{")) return value;
  try {
    const keys = JSON.parse(value) as Record<string, unknown>;
    const key = keys.default ?? Object.values(keys)[0];
    return typeof key === "string" && key ? key : undefined;
  } catch {
    throw new ConfigError("SUPABASE_PUBLISHABLE_KEYS / SUPABASE_SECRET_KEYS is not valid JSON.");
  }
}

/** A public JSON Web Key Set. */
export function parseJwks(text: string): { keys: Record<string, unknown>[] } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ConfigError('SUPABASE_JWKS is not valid JSON: expected {"keys":[...]}.');
  }
  const keys = (parsed as { keys?: unknown })?.keys;
  if (!Array.isArray(keys) || keys.some((k) => typeof k !== "object" || k === null)) {
    throw new ConfigError('SUPABASE_JWKS must be a JSON Web Key Set: {"keys":[...]}.');
  }
  if (keys.some((k) => "d" in k || "k" in k)) {
    throw new ConfigError("SUPABASE_JWKS must hold public keys only (no 'd' or 'k' members).");
  }
  return { keys };
}

/** A private EC/RSA JWK with a kid. */
export function parsePrivateJwk(text: string): Record<string, unknown> {
  let jwk: Record<string, unknown>;
  try {
    jwk = JSON.parse(text);
  } catch {
    throw new ConfigError("GATEWAY_SIGNING_KEY is not valid JSON: expected a private JWK.");
  }
  if (typeof jwk !== "object" || jwk === null || typeof jwk.d !== "string") {
    throw new ConfigError("GATEWAY_SIGNING_KEY must be a private JWK (with a 'd' member).");
  }
  if (jwk.kty !== "EC" && jwk.kty !== "RSA") {
    throw new ConfigError("GATEWAY_SIGNING_KEY must be an EC (ES256) or RSA (RS256) key.");
  }
  if (typeof jwk.kid !== "string" || !jwk.kid) {
    throw new ConfigError("GATEWAY_SIGNING_KEY needs a 'kid' so verifiers can pick the key.");
  }
  return jwk;
}

/** Comma-separated bare origins, or `*`. */
export function corsOrigins(value: string | undefined): string[] {
  if (!value) return [];
  const origins = value.split(",").map((o) => o.trim()).filter(Boolean);
  for (const origin of origins) {
    if (origin === "*") continue;
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      throw new ConfigError(`GATEWAY_CORS_ORIGINS has an entry that is not an origin: ${origin}`);
    }
    if (url.origin !== origin) {
      throw new ConfigError(
        `GATEWAY_CORS_ORIGINS entries must be bare origins like https://app.example.com: ${origin}`,
      );
    }
  }
  return origins;
}
