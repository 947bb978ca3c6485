/**
 * Proof that an interaction came from Discord: the Ed25519 signature in `X-Signature-Ed25519`
 * over `X-Signature-Timestamp` + the raw body, checked with `discord-interactions`' `verifyKey`
 * against the application's public key, and a timestamp within five minutes of now (so a captured
 * request cannot be replayed later). Every failure is the same 401; nothing else has run yet.
 */
import { verifyKey } from "discord-interactions";
import { GatewayError } from "../../supabase/functions/_shared/errors.ts";

/** How far the signed timestamp may be from the gateway's clock, in seconds. */
export const MAX_CLOCK_SKEW_SECONDS = 5 * 60;

/** The signature headers as Discord sends them. */
export interface SignatureHeaders {
  signature: string | null;
  timestamp: string | null;
}

/** Checks one interaction's signature; resolves, or throws 401 `invalid_token`. */
export type SignatureCheck = (headers: SignatureHeaders, body: string) => Promise<void>;

const SIGNATURE = /^[0-9a-f]{128}$/i;
const TIMESTAMP = /^\d{1,12}$/;

/** Reads the signature headers of a request. */
export function signatureHeaders(req: Request): SignatureHeaders {
  return {
    signature: req.headers.get("x-signature-ed25519"),
    timestamp: req.headers.get("x-signature-timestamp"),
  };
}

/** Rejects requests whose signature headers are absent or malformed, before reading the body. */
export function requireSignatureHeaders(headers: SignatureHeaders): void {
  if (
    !headers.signature || !SIGNATURE.test(headers.signature) ||
    !headers.timestamp || !TIMESTAMP.test(headers.timestamp)
  ) {
    throw rejected();
  }
}

/**
 * Builds the check for one application's public key (64 hex characters). The key is imported
 * once; `now` is the gateway's clock in milliseconds.
 */
export function createSignatureCheck(publicKeyHex: string, now: () => number): SignatureCheck {
  if (!/^[0-9a-f]{64}$/i.test(publicKeyHex)) {
    throw new Error("The Discord public key must be 64 hex characters (DISCORD_PUBLIC_KEY).");
  }
  // A key that does not import (not a curve point) falls back to the hex form, which
  // verifyKey also rejects: every request then fails closed with 401.
  const key: Promise<CryptoKey | string> = crypto.subtle
    .importKey("raw", hexBytes(publicKeyHex), { name: "Ed25519" }, false, ["verify"])
    .catch(() => publicKeyHex);
  return async (headers, body) => {
    requireSignatureHeaders(headers);
    const { signature, timestamp } = headers as { signature: string; timestamp: string };
    const skew = Math.abs(now() / 1000 - Number(timestamp));
    if (!(skew <= MAX_CLOCK_SKEW_SECONDS)) throw rejected();
    if (!(await verifyKey(body, signature, timestamp, await key))) throw rejected();
  };
}

function rejected(): GatewayError {
  return new GatewayError(401, "invalid_token", "Invalid or missing request signature.");
}

function hexBytes(hex: string): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}
