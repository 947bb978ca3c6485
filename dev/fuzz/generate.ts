/**
 * What one fuzz case is, and the entry point that makes case `index` of a channel for a seed.
 * A case is plain data (printable, comparable): the request to send, with the few parts the
 * runner fills in at send time named instead of given — the access token to sign (`@alice`),
 * the Telegram secret header, the Discord signature — since those need the stack's keys.
 */
import { caseRng } from "./prng.ts";
import { httpCase } from "./cases_http.ts";
import { telegramCase } from "./cases_telegram.ts";
import { discordCase } from "./cases_discord.ts";
import { slackCase } from "./cases_slack.ts";

/** The channels the fuzzer drives. */
export const CHANNELS = ["http", "telegram", "discord", "slack"] as const;
export type Channel = typeof CHANNELS[number];

/** The run's default seed (printed, so a run without `--seed` is as reproducible). */
export const DEFAULT_SEED = 20261202;

/** The Telegram account linked to a fuzz user during setup. */
export const TG_LINKED = 5550001;
/** The Discord account linked to a fuzz user during setup. */
export const DC_LINKED = "900000000000000001";
/** The Slack account (`<team id>:<user id>`) linked to a fuzz user during setup. */
export const SL_LINKED = "T0FUZZ:U0FUZZLINKED";
/** The fuzz stack's bot username and Discord application id. */
export const BOT_USERNAME = "FuzzGatewayBot";
export const DISCORD_APP_ID = "100000000000000042";

/** Tokens the runner signs with the stack's keys (a case names them with a leading `@`). */
export const TOKEN_KINDS = [
  "@alice",
  "@bob",
  "@alice-hs256",
  "@expired",
  "@not-yet-valid",
  "@alg-none",
  "@forged",
  "@tampered",
  "@wrong-aud",
  "@wrong-iss",
  "@role-anon",
  "@role-service",
  "@anon-key",
  "@service-key",
  "@hs256-wrong-secret",
  "@sub-not-uuid",
  "@unknown-user",
  "@unknown-kid",
  "@no-exp",
] as const;

/** How the Telegram secret header is sent. */
export type SecretKind = "right" | "wrong" | "missing" | "empty" | "suffixed" | "upper" | "prefix";
/** How a Discord interaction or a Slack request is signed (only `valid` gets past verification). */
export type SignatureKind =
  | "valid"
  | "stale"
  | "future"
  | "wrong-key"
  | "missing-signature"
  | "missing-timestamp"
  | "body-changed"
  | "garbage";

/** One request to send, and what made it nasty. */
export interface FuzzCase {
  channel: Channel;
  index: number;
  /** `<area>/<kind>`, e.g. `add/lone-surrogate`; the summary groups by it. */
  category: string;
  method: string;
  /** Under `/functions/v1/gateway`, e.g. `/commands/add`. */
  path: string;
  headers: Record<string, string>;
  body: string;
  /** The body's characters are bytes (latin-1): sends bytes that are not UTF-8. */
  bytes?: boolean;
  /** Send the body as a stream: chunked, without Content-Length. */
  stream?: boolean;
  /** HTTPS: `Authorization: <scheme> <token>`; a token starting with `@` is signed at send time. */
  auth?: { scheme: string; token: string };
  /** Telegram: the secret header. */
  secret?: SecretKind;
  /** Discord, Slack: the signature headers. */
  signature?: SignatureKind;
}

/** Case `index` of `channel` for `seed`; the same arguments always give the same case. */
export function generateCase(seed: number, channel: Channel, index: number): FuzzCase {
  const rng = caseRng(seed, channel, index);
  const make = { http: httpCase, telegram: telegramCase, discord: discordCase, slack: slackCase }[
    channel
  ];
  return { channel, index, ...make(rng, index) };
}

/** The part of a case a channel generator fills in. */
export type CaseBody = Omit<FuzzCase, "channel" | "index">;
