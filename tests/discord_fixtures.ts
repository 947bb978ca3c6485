/**
 * Discord test helpers: an Ed25519 application key pair made in the test, interactions shaped
 * as Discord sends them (slash commands, autocomplete, PING; guild or DM), signed requests with
 * knobs to break them (other key, stale timestamp, changed body, missing headers), and posting
 * them to a test gateway with the interaction token registered in its Discord sink.
 */
import type { TestGateway } from "./fixtures.ts";

/** The application id used by the Discord tests. */
export const DISCORD_APP_ID = "100000000000000077";

/** An application key pair; `publicKeyHex` is what DISCORD_PUBLIC_KEY holds. */
export interface DiscordKeys {
  publicKeyHex: string;
  privateKey: CryptoKey;
}

/** Generates a fresh Ed25519 key pair. */
export async function discordKeys(): Promise<DiscordKeys> {
  const pair = await crypto.subtle.generateKey("Ed25519", true, [
    "sign",
    "verify",
  ]) as CryptoKeyPair;
  const raw = await crypto.subtle.exportKey("raw", pair.publicKey);
  return { publicKeyHex: hex(raw), privateKey: pair.privateKey };
}

/** Gateway environment overrides that turn Discord on with `keys`. */
export function discordEnv(keys: DiscordKeys): Record<string, string> {
  return { DISCORD_PUBLIC_KEY: keys.publicKeyHex, DISCORD_APPLICATION_ID: DISCORD_APP_ID };
}

let sequence = BigInt(Date.now()) << 22n;

/** A fresh snowflake id. */
export function snowflake(): string {
  return String(++sequence);
}

/** Where an interaction comes from: a guild (member.user) or a DM (user). */
export interface Caller {
  userId: string;
  guildId?: string;
}

/** One option as Discord sends it. */
export interface OptionInput {
  name: string;
  type: number;
  value: string | number | boolean;
  focused?: boolean;
}

/** An interaction of `type` for command `name`, with a fresh id and token. */
export function interaction(
  type: number,
  caller: Caller,
  name?: string,
  options: OptionInput[] = [],
): Record<string, unknown> {
  const user = {
    id: caller.userId,
    username: `user${caller.userId}`,
    global_name: `User ${caller.userId}`,
  };
  const id = snowflake();
  return {
    id,
    application_id: DISCORD_APP_ID,
    type,
    token: `aW50ZXJhY3Rpb246${id}${crypto.randomUUID().replaceAll("-", "")}`,
    version: 1,
    ...(name ? { data: { id: snowflake(), name, type: 1, options } } : {}),
    ...(caller.guildId
      ? {
        guild_id: caller.guildId,
        channel_id: snowflake(),
        member: { user, roles: [], permissions: "0" },
      }
      : { channel_id: snowflake(), user }),
  };
}

/** A slash command interaction (type 2). */
export function slash(
  caller: Caller,
  name: string,
  args: Record<string, string | number | boolean> = {},
): Record<string, unknown> {
  const options = Object.entries(args).map(([n, value]) => ({
    name: n,
    type: typeof value === "number" ? 4 : typeof value === "boolean" ? 5 : 3,
    value,
  }));
  return interaction(2, caller, name, options);
}

/** Ways to spoil a signed request. */
export interface SignOptions {
  /** Seconds since the epoch to sign; default now. */
  timestamp?: number;
  /** Sign with this key instead. */
  signWith?: CryptoKey;
  /** Send this body instead of the signed one. */
  sendBody?: string;
  /** Leave out a header. */
  omit?: "signature" | "timestamp";
  /** Send this signature instead. */
  signature?: string;
}

/** A request for `POST /discord` signed like Discord does (timestamp + body). */
export async function signedRequest(
  keys: DiscordKeys,
  body: unknown,
  options: SignOptions = {},
): Promise<Request> {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
  const signed = await crypto.subtle.sign(
    "Ed25519",
    options.signWith ?? keys.privateKey,
    new TextEncoder().encode(timestamp + text),
  );
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (options.omit !== "signature") {
    headers["x-signature-ed25519"] = options.signature ?? hex(signed);
  }
  if (options.omit !== "timestamp") headers["x-signature-timestamp"] = timestamp;
  return new Request("http://gateway.test/functions/v1/gateway/discord", {
    method: "POST",
    headers,
    body: options.sendBody ?? text,
  });
}

/** Registers the interaction's token in the sink (as Discord does) and posts it, signed. */
export async function postInteraction(
  gw: TestGateway,
  keys: DiscordKeys,
  body: Record<string, unknown>,
  options: SignOptions = {},
): Promise<Response> {
  if (typeof body.token === "string") gw.discord.registerInteraction(DISCORD_APP_ID, body.token);
  return await gw.handler(await signedRequest(keys, body, options));
}

/** Posts an interaction and returns the JSON response (asserting a 200). */
export async function interact(
  gw: TestGateway,
  keys: DiscordKeys,
  body: Record<string, unknown>,
): Promise<{ type: number; data?: Record<string, unknown> }> {
  const res = await postInteraction(gw, keys, body);
  if (res.status !== 200) {
    throw new Error(`interaction answered ${res.status}: ${await res.text()}`);
  }
  return await res.json();
}

/** The content of a message response. */
export function contentOf(response: { data?: Record<string, unknown> }): string {
  return String(response.data?.content ?? "");
}

/** Links a Discord account with `/link code:<code>`; returns the reply text. */
export async function linkDiscord(
  gw: TestGateway,
  keys: DiscordKeys,
  caller: Caller,
  code: string,
): Promise<string> {
  return contentOf(await interact(gw, keys, slash(caller, "link", { code })));
}

function hex(bytes: ArrayBuffer): string {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
}
