/**
 * The delivery ledger, as the pipeline uses it: claim a delivery key, run, then complete it with
 * the answer to replay, or release it when a retry could succeed. Backed by the service-role-only
 * SQL functions of the `delivery_ledger` migration.
 */
import { DB_TIMEOUT_MS, type ServiceRpc } from "./db.ts";
import { sha256 } from "./hmac.ts";

/** What a claim found. */
export type Claim =
  | { status: "claimed"; attempt: number }
  | { status: "done"; result: unknown }
  | { status: "busy"; retry_after: number }
  | { status: "mismatch" };

/** The ledger operations. */
export interface Ledger {
  claim(key: string, fingerprint: string | null, leaseSeconds?: number): Promise<Claim>;
  complete(key: string, result: unknown): Promise<void>;
  /**
   * Completes off the response path: completions queued within a few milliseconds go to the
   * database in one call. Resolves when this key's batch is written.
   */
  completeSoon(key: string, result: unknown): Promise<void>;
  release(key: string): Promise<void>;
}

/**
 * How long a claim holds a key: what one delivery may take (an identity look-up and the
 * command's own calls, each bounded by the upstream timeout) plus a margin. A gateway that dies
 * mid-command blocks redeliveries of that key for at most this long.
 */
export const LEASE_SECONDS = Math.ceil((2 * DB_TIMEOUT_MS) / 1000) + 2;
/** How long a background completion waits for others to share its database call. */
const BATCH_WINDOW_MS = 30;
const MAX_BATCH = 100;

/** Builds the ledger over the service RPC. */
export function createLedger(rpc: ServiceRpc): Ledger {
  let batch: { key: string; result: unknown }[] = [];
  let flushing: Promise<void> | undefined;
  const flush = async () => {
    const items = batch;
    batch = [];
    flushing = undefined;
    if (items.length) await rpc("gateway_complete_deliveries", { p_items: items });
  };
  return {
    completeSoon(key, result) {
      batch.push({ key, result: result ?? null });
      if (batch.length >= MAX_BATCH) return flush();
      flushing ??= new Promise((resolve) => setTimeout(resolve, BATCH_WINDOW_MS)).then(flush);
      return flushing;
    },
    claim: (key, fingerprint, leaseSeconds = LEASE_SECONDS) =>
      rpc<Claim>("gateway_claim_delivery", {
        p_key: key,
        p_fingerprint: fingerprint,
        p_lease_seconds: leaseSeconds,
      }),
    async complete(key, result) {
      await rpc("gateway_complete_delivery", { p_key: key, p_result: result ?? null });
    },
    async release(key) {
      await rpc("gateway_release_delivery", { p_key: key });
    },
  };
}

const encoder = new TextEncoder();

/** SHA-256 of a string, hex: fingerprints of requests for the ledger (synchronous, see hmac.ts). */
export function fingerprint(text: string): string {
  const digest = sha256(encoder.encode(text));
  let hex = "";
  for (let i = 0; i < digest.length; i++) {
    hex += (digest[i] < 16 ? "0" : "") + digest[i].toString(16);
  }
  return hex;
}
