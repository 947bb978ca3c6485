/**
 * Slack's v0 request signature: Slack's own documented example verifies (the signing secret,
 * timestamp, body and signature from docs.slack.dev "Verifying requests from Slack", as kept in
 * python-slack-sdk's tests), the synchronous HMAC agrees with Web Crypto on bodies of every size,
 * and every spoiled request (a byte of the body, the signature or the timestamp changed; a stale
 * or future timestamp; malformed headers) is the same 401.
 */
import { assertEquals, assertThrows } from "../assert.ts";
import { GatewayError } from "../../supabase/functions/_shared/errors.ts";
import {
  createSlackVerifier,
  MAX_CLOCK_SKEW_SECONDS,
  slackSignature,
} from "../../adapters/slack/verify.ts";

// docs.slack.dev/authentication/verifying-requests-from-slack (python-slack-sdk
// tests/slack_sdk/signature/test_signature_verifier.py).
const SECRET = "8f742231b10e8888abcd99yyyzzz85a5";
const TIMESTAMP = "1531420618";
const BODY = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&" +
  "channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&" +
  "command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2F" +
  "T1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&" +
  "trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
const SIGNATURE = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
const encoder = new TextEncoder();
const at = (seconds: number) => () => seconds * 1000;

function refused(run: () => void): void {
  const err = assertThrows(run, GatewayError);
  assertEquals([err.status, err.code], [401, "invalid_token"]);
}

Deno.test("slack signature: Slack's documented example verifies", () => {
  const verifier = createSlackVerifier(SECRET, at(Number(TIMESTAMP)));
  verifier.checkSignature({ signature: SIGNATURE, timestamp: TIMESTAMP }, encoder.encode(BODY));
  assertEquals(slackSignature(SECRET, TIMESTAMP, BODY), SIGNATURE);
});

Deno.test("slack signature: every spoiled request is the same 401", async (t) => {
  const verifier = createSlackVerifier(SECRET, at(Number(TIMESTAMP)));
  const body = encoder.encode(BODY);
  const good = { signature: SIGNATURE, timestamp: TIMESTAMP };
  await t.step("each byte of the body changed", () => {
    for (let i = 0; i < body.length; i++) {
      const changed = body.slice();
      changed[i] ^= 1;
      refused(() => verifier.checkSignature(good, changed));
    }
  });
  await t.step("each hex digit of the signature changed", () => {
    for (let i = 3; i < SIGNATURE.length; i++) {
      const digit = SIGNATURE[i] === "0" ? "1" : "0";
      const signature = SIGNATURE.slice(0, i) + digit + SIGNATURE.slice(i + 1);
      refused(() => verifier.checkSignature({ ...good, signature }, body));
    }
  });
  await t.step("another timestamp (signed over, so the signature no longer matches)", () => {
    refused(() => verifier.checkSignature({ ...good, timestamp: "1531420619" }, body));
  });
  await t.step("a stale or future timestamp, before the body is read", () => {
    for (const skew of [MAX_CLOCK_SKEW_SECONDS + 1, -MAX_CLOCK_SKEW_SECONDS - 1]) {
      const late = createSlackVerifier(SECRET, at(Number(TIMESTAMP) + skew));
      refused(() => late.checkHeaders(good));
    }
    const edge = createSlackVerifier(SECRET, at(Number(TIMESTAMP) + MAX_CLOCK_SKEW_SECONDS));
    edge.checkSignature(good, body);
  });
  await t.step("malformed headers", () => {
    for (
      const headers of [
        { signature: null, timestamp: TIMESTAMP },
        { signature: SIGNATURE, timestamp: null },
        { signature: SIGNATURE.toUpperCase(), timestamp: TIMESTAMP },
        { signature: SIGNATURE.replace("v0=", "v1="), timestamp: TIMESTAMP },
        { signature: SIGNATURE + "00", timestamp: TIMESTAMP },
        { signature: SIGNATURE, timestamp: "1531420618.5" },
        { signature: SIGNATURE, timestamp: "-1531420618" },
        { signature: SIGNATURE, timestamp: "1".repeat(13) },
      ]
    ) refused(() => verifier.checkHeaders(headers));
  });
});

Deno.test("slack signature: the synchronous HMAC agrees with Web Crypto", async () => {
  const secret = "0123456789abcdef0123456789abcdef";
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const now = 1_700_000_000;
  const verifier = createSlackVerifier(secret, at(now));
  for (const size of [0, 1, 55, 56, 63, 64, 65, 119, 120, 1000, 65_536]) {
    const body = crypto.getRandomValues(new Uint8Array(size));
    const base = encoder.encode(`v0:${now}:`);
    const message = new Uint8Array([...base, ...body]);
    const tag = new Uint8Array(await crypto.subtle.sign("HMAC", key, message));
    const signature = `v0=${Array.from(tag, (b) => b.toString(16).padStart(2, "0")).join("")}`;
    verifier.checkSignature({ signature, timestamp: String(now) }, body);
  }
});
