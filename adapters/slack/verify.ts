/**
 * Proof that a request came from Slack: the v0 signature. `X-Slack-Signature` is `v0=` and the
 * hex HMAC-SHA256, under the app's signing secret, of `v0:{X-Slack-Request-Timestamp}:{raw body}`;
 * the timestamp must be within five minutes of now, so a captured request cannot be replayed later.
 * The headers and the timestamp are checked before the body is read, the signature before it is
 * parsed. The HMAC is the synchronous one of `hmac.ts` (the key's pads hashed once per app), and
 * the comparison takes the same time whatever the given signature holds. Every failure is the
 * same 401; nothing else has run yet.
 */
import { GatewayError } from "../../supabase/functions/_shared/errors.ts";
import { hmacSha256 } from "../../supabase/functions/_shared/hmac.ts";

/** How far the signed timestamp may be from the gateway's clock, in seconds. */
export const MAX_CLOCK_SKEW_SECONDS = 5 * 60;

/** The signature headers as Slack sends them. */
export interface SlackSignatureHeaders {
  signature: string | null;
  timestamp: string | null;
}

/** One app's check. */
export interface SlackVerifier {
  /** Throws 401 unless the headers are well formed and the timestamp is fresh. */
  checkHeaders(headers: SlackSignatureHeaders): void;
  /** Throws 401 unless the signature is the app's over this timestamp and these body bytes. */
  checkSignature(headers: SlackSignatureHeaders, body: Uint8Array): void;
}

const SIGNATURE = /^v0=[0-9a-f]{64}$/;
const TIMESTAMP = /^\d{1,12}$/;
const encoder = new TextEncoder();

/** Reads the signature headers of a request. */
export function slackSignatureHeaders(req: Request): SlackSignatureHeaders {
  return {
    signature: req.headers.get("x-slack-signature"),
    timestamp: req.headers.get("x-slack-request-timestamp"),
  };
}

/** Builds the check for one app's signing secret; `now` is the gateway's clock in ms. */
export function createSlackVerifier(signingSecret: string, now: () => number): SlackVerifier {
  if (!signingSecret) {
    throw new Error("A Slack app needs its signing secret (SLACK_SIGNING_SECRET).");
  }
  const mac = hmacSha256(encoder.encode(signingSecret));
  const expected = new Uint8Array(32);
  const given = new Uint8Array(32);
  const checkHeaders = (headers: SlackSignatureHeaders) => {
    const { signature, timestamp } = headers;
    if (!signature || !SIGNATURE.test(signature) || !timestamp || !TIMESTAMP.test(timestamp)) {
      throw rejected();
    }
    const skew = Math.abs(now() / 1000 - Number(timestamp));
    if (!(skew <= MAX_CLOCK_SKEW_SECONDS)) throw rejected();
  };
  return {
    checkHeaders,
    checkSignature(headers, body) {
      checkHeaders(headers);
      const base = encoder.encode(`v0:${headers.timestamp}:`);
      const message = new Uint8Array(base.length + body.length);
      message.set(base);
      message.set(body, base.length);
      mac(message, expected);
      hexInto(headers.signature!.slice(3), given);
      let diff = 0;
      for (let i = 0; i < 32; i++) diff |= expected[i] ^ given[i];
      if (diff !== 0) throw rejected();
    },
  };
}

/** Signs a body as Slack does: the `X-Slack-Signature` value (tests, simulator, benchmark). */
export function slackSignature(signingSecret: string, timestamp: string, body: string): string {
  const tag = hmacSha256(encoder.encode(signingSecret))(encoder.encode(`v0:${timestamp}:${body}`));
  return `v0=${Array.from(tag, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

function hexInto(hex: string, out: Uint8Array): void {
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
}

function rejected(): GatewayError {
  return new GatewayError(401, "invalid_token", "Invalid or missing request signature.");
}
