/**
 * Discord sink helper: how Discord checks a new interactions endpoint URL before it accepts it.
 * It POSTs a PING signed with the application's key, which must be answered 2xx `{"type":1}`,
 * and a PING with a bad signature, which must be refused with 401 (an endpoint that skips the
 * check is not accepted). Without the application's private key the sink cannot sign, and
 * accepts the URL.
 *
 * @module
 */

import type { SinkApplication } from "./discord_applications.ts";

/** How long each PING may take (Discord gives an endpoint a few seconds). */
const PING_TIMEOUT_MS = 5_000;
/** What Discord sends as User-Agent to interaction endpoints. */
const USER_AGENT = "Discord-Interactions/1.0 (+https://discord.com)";

/** Whether `url` passes Discord's check for `app`; true when the sink has no private key. */
export async function verifyEndpoint(
  fetcher: typeof fetch,
  app: SinkApplication,
  url: string,
): Promise<boolean> {
  if (!app.privateKey) return true;
  const key = await crypto.subtle.importKey(
    "pkcs8",
    Uint8Array.from(atob(app.privateKey), (c) => c.charCodeAt(0)),
    "Ed25519",
    false,
    ["sign"],
  );
  const body = JSON.stringify({
    application_id: app.applicationId,
    id: String(BigInt(Date.now() - 1420070400000) << 22n),
    token: `sink-ping-${crypto.randomUUID()}`,
    type: 1,
    version: 1,
  });
  const timestamp = String(Math.floor(Date.now() / 1000));
  const signature = new Uint8Array(
    await crypto.subtle.sign("Ed25519", key, new TextEncoder().encode(timestamp + body)),
  );
  const good = await ping(fetcher, url, body, timestamp, hex(signature));
  if (!good || good.status < 200 || good.status > 299) return false;
  const answer = await good.json().catch(() => null) as { type?: unknown } | null;
  if (answer?.type !== 1) return false;
  signature[0] ^= 0xff; // one flipped byte: a signature that cannot verify
  const bad = await ping(fetcher, url, body, timestamp, hex(signature));
  await bad?.body?.cancel();
  return bad?.status === 401;
}

async function ping(
  fetcher: typeof fetch,
  url: string,
  body: string,
  timestamp: string,
  signature: string,
): Promise<Response | undefined> {
  try {
    return await fetcher(url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "x-signature-ed25519": signature,
        "x-signature-timestamp": timestamp,
      },
      body,
      signal: AbortSignal.timeout(PING_TIMEOUT_MS),
    });
  } catch {
    return undefined; // unreachable: not verified
  }
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
