/**
 * Local-only channel settings for the dev stack: a fake Telegram bot token and webhook secret,
 * a Discord application with an Ed25519 key pair (the private half lets the simulator and tests
 * sign interactions the way Discord does), and a Slack app's signing secret and bot token, for the
 * default bots (flat keys, a contract for tooling), and one more bot of each (`staging`, under
 * `bots`; the Slack one with the command prefix `staging-`), so the stack runs several. Generated
 * once into `<stateDir>/channels.json` (0600); a file from before the extra bots or Slack gets
 * what it lacks added. They only ever talk to the local sinks.
 */

/** A local extra Telegram bot (a `TELEGRAM_BOTS` entry, without the API root). */
export interface LocalTelegramBot {
  name: string;
  token: string;
  secret: string;
  username: string;
  appName?: string;
}

/** A local extra Discord application (a `DISCORD_APPS` entry, plus its private key). */
export interface LocalDiscordApp {
  name: string;
  applicationId: string;
  publicKey: string;
  /** PKCS#8 private key, base64: the simulator and tests sign its interactions. */
  privateKey: string;
  botToken: string;
  appName?: string;
}

/** A local extra Slack app (a `SLACK_APPS` entry, without the API base). */
export interface LocalSlackApp {
  name: string;
  signingSecret: string;
  botToken: string;
  commandPrefix: string;
  appName?: string;
}

/** The local Slack workspace every local app is installed in, and its bots' user ids. */
export const LOCAL_SLACK_TEAM = "T0LOCAL";
export const LOCAL_SLACK_BOTS: Record<string, { userId: string; botId: string }> = {
  default: { userId: "U0LOCALBOT", botId: "B0LOCAL" },
  staging: { userId: "U0STAGINGBOT", botId: "B0STAGING" },
};

/** The generated settings. */
export interface ChannelSecrets {
  telegramBotToken: string;
  telegramWebhookSecret: string;
  discordApplicationId: string;
  discordBotToken: string;
  /** Hex of the raw Ed25519 public key, as Discord shows it. */
  discordPublicKey: string;
  /** PKCS#8 private key, base64, for signing local interactions. */
  discordPrivateKey: string;
  /** The default Slack app's signing secret (signs local requests) and bot token. */
  slackSigningSecret: string;
  slackBotToken: string;
  /** The bots beyond the default ones. */
  bots: { telegram: LocalTelegramBot[]; discord: LocalDiscordApp[]; slack: LocalSlackApp[] };
}

/** The extra local bots' name and brand. */
const EXTRA = { name: "staging", appName: "the staging app" };

const NOTE = "LOCAL DEVELOPMENT ONLY - fake channel credentials for the local sinks";

/** Loads or creates the channel secrets of a state folder. */
export async function loadOrCreateChannelSecrets(stateDir: string): Promise<ChannelSecrets> {
  const file = `${stateDir}/channels.json`;
  let stored: Partial<ChannelSecrets> | undefined;
  try {
    const { note: _note, ...read } = JSON.parse(await Deno.readTextFile(file));
    stored = read;
    if (stored?.bots?.slack && stored.slackSigningSecret) return stored as ChannelSecrets;
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  const app = await discordKeys();
  const extra = await discordKeys();
  const secrets: ChannelSecrets = {
    telegramBotToken: `7000000001:LOCAL_${randomText(30)}`,
    telegramWebhookSecret: `local_${randomText(32)}`,
    discordApplicationId: "100000000000000001",
    discordBotToken: `local.${randomText(40)}`,
    discordPublicKey: app.publicKey,
    discordPrivateKey: app.privateKey,
    slackSigningSecret: randomHex(32),
    slackBotToken: `xoxb-local-${randomText(40)}`,
    ...stored,
    bots: {
      telegram: stored?.bots?.telegram ?? [{
        ...EXTRA,
        token: `7000000002:LOCAL_${randomText(30)}`,
        secret: `local_${randomText(32)}`,
        username: "LocalStagingBot",
      }],
      discord: stored?.bots?.discord ?? [{
        ...EXTRA,
        applicationId: "100000000000000002",
        botToken: `local.${randomText(40)}`,
        ...extra,
      }],
      slack: stored?.bots?.slack ?? [{
        ...EXTRA,
        signingSecret: randomHex(32),
        botToken: `xoxb-local-${randomText(40)}`,
        commandPrefix: "staging-",
      }],
    },
  };
  await Deno.mkdir(stateDir, { recursive: true });
  await Deno.writeTextFile(file, JSON.stringify({ note: NOTE, ...secrets }, null, 2) + "\n", {
    mode: 0o600,
  });
  return secrets;
}

/** A fresh Ed25519 key pair: the public key as Discord shows it, the private one as PKCS#8. */
async function discordKeys(): Promise<{ publicKey: string; privateKey: string }> {
  const pair = await crypto.subtle.generateKey("Ed25519", true, [
    "sign",
    "verify",
  ]) as CryptoKeyPair;
  const raw = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey));
  return { publicKey: hex(raw), privateKey: btoa(String.fromCharCode(...pkcs8)) };
}

/**
 * `TELEGRAM_BOTS`, `DISCORD_APPS` and `SLACK_APPS` for the extra local bots, against the given
 * sinks (Slack's only when its API base is given and the file has Slack apps).
 */
export function extraBotsEnv(
  secrets: ChannelSecrets,
  apis: { telegramApiRoot: string; discordApiBase: string; slackApiBase?: string },
): { TELEGRAM_BOTS: string; DISCORD_APPS: string; SLACK_APPS?: string } {
  return {
    ...(apis.slackApiBase && secrets.bots.slack
      ? {
        SLACK_APPS: JSON.stringify(
          secrets.bots.slack.map((a) => ({ ...a, apiBase: apis.slackApiBase })),
        ),
      }
      : {}),
    TELEGRAM_BOTS: JSON.stringify(
      secrets.bots.telegram.map((b) => ({ ...b, apiRoot: apis.telegramApiRoot })),
    ),
    DISCORD_APPS: JSON.stringify(
      secrets.bots.discord.map(({ privateKey: _private, ...a }) => ({
        ...a,
        apiBase: apis.discordApiBase,
      })),
    ),
  };
}

function randomText(length: number): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join("");
}

function randomHex(length: number): string {
  return hex(crypto.getRandomValues(new Uint8Array(length / 2)));
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
