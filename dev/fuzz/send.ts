/**
 * Turning a case into a real request over loopback and recording what came back. The parts a
 * case only names are made here with the stack's keys: access tokens of every kind of wrong
 * (signed, expired, forged, alg none, other roles), the Telegram secret header, the Discord
 * Ed25519 signature made with the stack's application key and the Slack v0 signature made with its
 * signing secret (so inputs get past verification), and a Slack case's response URL (registered
 * in the stack's sink) and button tokens (signed with the stack's key).
 */
import { base64url, SignJWT } from "jose";
import { devAccessToken, type DevUser } from "../auth.ts";
import { createActionCodec } from "../../supabase/functions/_shared/action_tokens.ts";
import { slackSignature } from "../../adapters/slack/verify.ts";
import { SLACK_SINK_PREFIX } from "../sinks/mod.ts";
import { SLACK_BUTTONS } from "./cases_slack.ts";
import { DISCORD_APP_ID, type FuzzCase, SL_LINKED, TOKEN_KINDS } from "./generate.ts";
import type { FuzzStack } from "./stack.ts";

/** What a case got back. */
export interface Observation {
  /** HTTP status, or 0 when no answer arrived (`error` says why). */
  status: number;
  headers: Record<string, string>;
  body: string;
  error?: string;
  /** The access token the request carried, for the secret check. */
  accessToken?: string;
  ms: number;
}

/** Everything signed once per run. */
export interface Credentials {
  tokens: Record<string, string>;
  discordKey: CryptoKey;
  otherDiscordKey: CryptoKey;
}

const ALICE: DevUser = { id: "a11ce000-0000-4000-8000-000000000001", email: "alice@example.com" };
const BOB: DevUser = { id: "b0b00000-0000-4000-8000-000000000002", email: "bob@example.com" };

/** Signs the token kinds of {@link TOKEN_KINDS} and imports the Discord keys. */
export async function makeCredentials(stack: FuzzStack): Promise<Credentials> {
  const key = stack.keys.signingKey;
  const issuer = `${stack.gatewayEnv.SUPABASE_URL}/auth/v1`;
  const sign = (claims: Record<string, unknown>, user = ALICE) =>
    devAccessToken(key, issuer, user, { claims });
  const alice = await sign({});
  const [header, , signature] = alice.split(".");
  const payload = JSON.parse(new TextDecoder().decode(base64url.decode(alice.split(".")[1])));
  const hs256 = (secret: string, claims = payload) =>
    new SignJWT(claims).setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .sign(new TextEncoder().encode(secret));
  const other = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
    "sign",
  ]) as CryptoKeyPair;
  const otherJwk = await crypto.subtle.exportKey("jwk", other.privateKey);
  const now = Math.floor(Date.now() / 1000);
  const encode = (value: unknown) => base64url.encode(JSON.stringify(value));
  const tokens: Record<(typeof TOKEN_KINDS)[number], string> = {
    "@alice": alice,
    "@bob": await sign({}, BOB),
    "@alice-hs256": await hs256(stack.keys.jwtSecret),
    "@expired": await devAccessToken(key, issuer, ALICE, { now: Date.now() - 7_200_000 }),
    "@not-yet-valid": await sign({ nbf: now + 3600 }),
    "@alg-none": `${encode({ alg: "none", typ: "JWT" })}.${encode(payload)}.`,
    "@forged": await devAccessToken(
      { ...key, ...otherJwk, kid: key.kid } as typeof key,
      issuer,
      ALICE,
    ),
    "@tampered": `${header}.${encode({ ...payload, sub: BOB.id })}.${signature}`,
    "@wrong-aud": await sign({ aud: "anon" }),
    "@wrong-iss": await sign({ iss: "https://evil.example/auth/v1" }),
    "@role-anon": await sign({ role: "anon" }),
    "@role-service": await sign({ role: "service_role" }),
    "@anon-key": stack.keys.anonKey,
    "@service-key": stack.keys.serviceRoleKey,
    "@hs256-wrong-secret": await hs256("not-the-secret-" + "w".repeat(32)),
    "@sub-not-uuid": await sign({ sub: "alice" }),
    "@unknown-user": await sign({ sub: "0dd00000-0000-4000-8000-00000000dead" }),
    "@unknown-kid": await devAccessToken({ ...key, kid: "no-such-kid" }, issuer, ALICE),
    "@no-exp": await sign({ exp: undefined }),
  };
  const pkcs8 = Uint8Array.from(atob(stack.secrets.discordPrivateKey), (c) => c.charCodeAt(0));
  const discordKey = await crypto.subtle.importKey("pkcs8", pkcs8, "Ed25519", false, ["sign"]);
  const otherPair = await crypto.subtle.generateKey("Ed25519", false, ["sign", "verify"]);
  return { tokens, discordKey, otherDiscordKey: (otherPair as CryptoKeyPair).privateKey };
}

/** Sends `c` to the stack's gateway and reads the whole answer. */
export async function sendCase(
  stack: FuzzStack,
  creds: Credentials,
  c: FuzzCase,
): Promise<Observation> {
  const headers = new Headers(c.headers);
  headers.set("x-request-id", `fz-${c.channel}-${c.index}`);
  let accessToken: string | undefined;
  if (c.auth) {
    accessToken = c.auth.token.startsWith("@") ? creds.tokens[c.auth.token] : c.auth.token;
    headers.set("authorization", accessToken ? `${c.auth.scheme} ${accessToken}` : c.auth.scheme);
  }
  const text = c.channel === "slack" ? slackFilled(stack, c.body) : c.body;
  const bytes = c.bytes
    ? Uint8Array.from(text, (ch) => ch.charCodeAt(0))
    : new TextEncoder().encode(text);
  if (c.secret) telegramSecret(headers, c.secret, stack.secrets.telegramWebhookSecret);
  if (c.signature && c.channel === "slack") slackSigned(headers, c, text, stack);
  else if (c.signature) await discordSignature(headers, c, bytes, creds);
  if (c.channel === "discord") registerToken(stack, c.body);
  const body = c.method === "GET" || c.method === "HEAD"
    ? undefined
    : c.stream
    ? new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes);
        controller.close();
      },
    })
    : c.signature === "body-changed"
    ? new TextEncoder().encode(text + " ")
    : bytes;
  const started = performance.now();
  try {
    const res = await fetch(`${stack.gatewayUrl}${c.path}`, { method: c.method, headers, body });
    const text = await res.text();
    return {
      status: res.status,
      headers: Object.fromEntries(res.headers),
      body: text,
      accessToken,
      ms: performance.now() - started,
    };
  } catch (err) {
    const error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    return {
      status: 0,
      headers: {},
      body: "",
      error,
      accessToken,
      ms: performance.now() - started,
    };
  }
}

function telegramSecret(headers: Headers, kind: FuzzCase["secret"], secret: string): void {
  const value = {
    right: secret,
    wrong: "wrong_" + "s".repeat(30),
    missing: null,
    empty: "",
    suffixed: secret + "x",
    upper: secret.toUpperCase(),
    prefix: secret.slice(0, -1),
  }[kind!];
  if (value !== null) headers.set("x-telegram-bot-api-secret-token", value);
}

async function discordSignature(
  headers: Headers,
  c: FuzzCase,
  bytes: Uint8Array,
  creds: Credentials,
): Promise<void> {
  const now = Math.floor(Date.now() / 1000);
  const timestamp = String(
    c.signature === "stale" ? now - 400 : c.signature === "future" ? now + 400 : now,
  );
  const signed = new Uint8Array([...new TextEncoder().encode(timestamp), ...bytes]);
  const key = c.signature === "wrong-key" ? creds.otherDiscordKey : creds.discordKey;
  const signature = hex(await crypto.subtle.sign("Ed25519", key, signed));
  if (c.signature !== "missing-signature") {
    headers.set("x-signature-ed25519", c.signature === "garbage" ? "zz".repeat(64) : signature);
  }
  if (c.signature !== "missing-timestamp") headers.set("x-signature-timestamp", timestamp);
}

/**
 * A Slack body with its placeholders filled in: `@response-url` becomes a URL registered in the
 * stack's sink for the linked account (as Slack makes one per request), `@button-N` the stack's
 * signed token for SLACK_BUTTONS[N] (`-tampered`: with its call changed after signing),
 * `@dm-channel` and `@mention-channel` (an event's) a conversation the sink knows: the account's DM
 * with the bot, or `C0FUZZ` with the bot and the account in it, as Slack has them.
 */
function slackFilled(stack: FuzzStack, body: string): string {
  const [team, user] = SL_LINKED.split(":");
  const codec = createActionCodec({ keys: [stack.keys.serviceRoleKey], scope: "slack:default" });
  const conversation = (channel?: string) =>
    JSON.stringify(
      stack.slack.userMessage({ team, user, text: "", ...(channel ? { channel } : {}) })
        .channel,
    );
  return body
    .replaceAll('"@dm-channel"', () => conversation())
    .replaceAll('"@mention-channel"', () => conversation("C0FUZZ"))
    .replaceAll("%40response-url", () =>
      encodeURIComponent(
        stack.slack.responseUrl(`${stack.gatewayUrl.split("/functions/")[0]}${SLACK_SINK_PREFIX}`, {
          kind: "actions",
          team,
          user,
          original: { text: "(pressed)", ephemeral: true },
        }),
      ))
    .replace(/%40button-(\d)(-tampered)?/g, (_, i: string, tampered?: string) => {
      const token = codec.encode(SLACK_BUTTONS[Number(i)]);
      const value = tampered ? token.replace(":{", ':{"x":1,') : token;
      // It stands inside a JSON string: its quotes are escaped there.
      return encodeURIComponent(JSON.stringify(value).slice(1, -1));
    });
}

/** Slack's v0 signature over the timestamp and the body, spoiled as the case says. */
function slackSigned(headers: Headers, c: FuzzCase, body: string, stack: FuzzStack): void {
  const now = Math.floor(Date.now() / 1000);
  const timestamp = String(
    c.signature === "stale" ? now - 400 : c.signature === "future" ? now + 400 : now,
  );
  const secret = c.signature === "wrong-key" ? "f".repeat(32) : stack.secrets.slackSigningSecret;
  const signature = slackSignature(secret, timestamp, body);
  if (c.signature !== "missing-signature") {
    headers.set(
      "x-slack-signature",
      c.signature === "garbage" ? `v0=${"zz".repeat(32)}` : signature,
    );
  }
  if (c.signature !== "missing-timestamp") headers.set("x-slack-request-timestamp", timestamp);
}

/** Discord registers an interaction's token when it delivers it; the sink needs the same. */
function registerToken(stack: FuzzStack, body: string): void {
  try {
    const token = JSON.parse(body)?.token;
    if (typeof token === "string") stack.discord.registerInteraction(DISCORD_APP_ID, token);
  } catch { /* not JSON: nothing to register */ }
}

function hex(bytes: ArrayBuffer): string {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
}
