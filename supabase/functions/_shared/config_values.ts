/**
 * Parsers for single configuration values. Each names its variable in the error it throws, so a
 * bad setting stops start-up with a message that says what to fix.
 */

/** Thrown for a missing or malformed variable; the message names it and says what to do. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
    // Read by whoever deploys: an uncaught ConfigError prints as this one line, without a trace.
    this.stack = `${this.name}: ${message}`;
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

/**
 * A base URL that credentials are sent to (a bot token, or an interaction's token, in every
 * call): https, or plain http only to this machine (a local sink), so a token never crosses a
 * network in cleartext.
 */
export function secureBaseUrl(name: string, value: string): string {
  const url = baseUrl(name, value);
  const host = new URL(url).hostname;
  if (!url.startsWith("https:") && !["127.0.0.1", "localhost", "[::1]"].includes(host)) {
    throw new ConfigError(
      `${name} must be an https URL (plain http only to 127.0.0.1, localhost or [::1]): ` +
        "tokens go with every call.",
    );
  }
  return url;
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

/**
 * A name people read (the app's): 1-60 characters, no control characters or markup, and something
 * to see: spaces or invisible characters alone would read "sign in to ,".
 */
export function displayName(name: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const plain = [...value].every((c) =>
    c.charCodeAt(0) >= 0x20 && c !== "\x7f" && !"<>".includes(c)
  );
  // Letters, digits, punctuation or symbols, but not the blank ones Unicode files under them
  // (the braille blank, the Hangul fillers).
  const visible = /[\p{L}\p{N}\p{P}\p{S}]/u.test(
    value.replace(/[\u2800\u115F\u1160\u3164\uFFA0]/g, ""),
  );
  if (value.length > 60 || !plain || !visible || !value.isWellFormed()) {
    throw new ConfigError(`${name} must be 1-60 characters of plain text.`);
  }
  return value;
}

/** An absolute http(s) URL people open (kept as given, query allowed), or undefined. */
export function pageUrl(name: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`${name} is not a URL (e.g. https://app.example.com/settings/chat).`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new ConfigError(`${name} must be an http(s) URL.`);
  }
  return url.href;
}
