/**
 * The delivery ledger, as the gateway uses it: claim a delivery key, run, then complete it with
 * the answer to replay, or release it when a retry could succeed. Backed by the service-role-only
 * SQL functions of the `delivery_ledger` migration.
 */
import type { ServiceRpc } from "./db.ts";
import { GatewayError } from "./errors.ts";

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
  release(key: string): Promise<void>;
}

/** Default lease: longer than any command should run, short enough for a prompt retry. */
const DEFAULT_LEASE_SECONDS = 30;

/** Builds the ledger over the service RPC. */
export function createLedger(rpc: ServiceRpc): Ledger {
  return {
    claim: (key, fingerprint, leaseSeconds = DEFAULT_LEASE_SECONDS) =>
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

/** How a delivery ended: a fresh run's value, or the stored answer of an earlier run. */
export type Delivered<T> = { replayed: false; value: T } | { replayed: true; value: T };

/**
 * Runs `work` at most once per `key`. A completed key replays its stored value; a key held by
 * another delivery throws 409 `idempotency_in_progress`; a key reused with other content throws
 * 409 `idempotency_key_reused`. `work` returns the value to store. A GatewayError below 500 is
 * final and stored as `onFinalError(err)`; anything else releases the key for a retry.
 */
export async function once<T>(
  ledger: Ledger,
  key: string,
  fingerprint: string | null,
  work: () => Promise<T>,
  onFinalError: (err: GatewayError) => T,
): Promise<Delivered<T>> {
  const claim = await ledger.claim(key, fingerprint);
  if (claim.status === "done") return { replayed: true, value: claim.result as T };
  if (claim.status === "busy") {
    throw new GatewayError(
      409,
      "idempotency_in_progress",
      "A request with this key is still in progress; retry later.",
      { retry_after: claim.retry_after },
    );
  }
  if (claim.status === "mismatch") {
    throw new GatewayError(
      409,
      "idempotency_key_reused",
      "This Idempotency-Key was used for a different request.",
    );
  }
  let value: T;
  try {
    value = await work();
  } catch (err) {
    if (err instanceof GatewayError && err.status < 500) {
      value = onFinalError(err);
    } else {
      await ledger.release(key).catch(() => {/* the lease expires on its own */});
      throw err;
    }
  }
  await ledger.complete(key, value);
  return { replayed: false, value };
}

/** SHA-256 of a string, hex: fingerprints of requests for the ledger. */
export async function fingerprint(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}
