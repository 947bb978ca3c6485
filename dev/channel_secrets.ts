/**
 * Local-only channel settings for the dev stack: a fake Telegram bot token and webhook secret,
 * and a Discord application with an Ed25519 key pair (the private half lets the simulator and
 * tests sign interactions the way Discord does). Generated once into `<stateDir>/channels.json`
 * (0600). They only ever talk to the local sinks.
 */

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
}

const NOTE = "LOCAL DEVELOPMENT ONLY - fake channel credentials for the local sinks";

/** Loads or creates the channel secrets of a state folder. */
export async function loadOrCreateChannelSecrets(stateDir: string): Promise<ChannelSecrets> {
  const file = `${stateDir}/channels.json`;
  try {
    const { note: _note, ...stored } = JSON.parse(await Deno.readTextFile(file));
    return stored as ChannelSecrets;
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  const pair = await crypto.subtle.generateKey("Ed25519", true, [
    "sign",
    "verify",
  ]) as CryptoKeyPair;
  const raw = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey));
  const secrets: ChannelSecrets = {
    telegramBotToken: `7000000001:LOCAL_${randomText(30)}`,
    telegramWebhookSecret: `local_${randomText(32)}`,
    discordApplicationId: "100000000000000001",
    discordBotToken: `local.${randomText(40)}`,
    discordPublicKey: hex(raw),
    discordPrivateKey: btoa(String.fromCharCode(...pkcs8)),
  };
  await Deno.mkdir(stateDir, { recursive: true });
  await Deno.writeTextFile(file, JSON.stringify({ note: NOTE, ...secrets }, null, 2) + "\n", {
    mode: 0o600,
  });
  return secrets;
}

function randomText(length: number): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join("");
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
