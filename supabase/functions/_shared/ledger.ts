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
  /**
   * Completes off the response path: completions queued within a few milliseconds go to the
   * database in one call. Resolves when this key's batch is written.
   */
  completeSoon(key: string, result: unknown): Promise<void>;
  release(key: string): Promise<void>;
}

/** Default lease: longer than any command should run, short enough for a prompt retry. */
const DEFAULT_LEASE_SECONDS = 30;
/** How long a background completion waits for others to share its database call. */
const BATCH_WINDOW_MS = 10;
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

/** How a delivery ended: a fresh run's value, or what an earlier run stored. */
export type Delivered<T> = { replayed: false; value: T } | { replayed: true; stored: unknown };

/** What {@link once} runs and how. */
export interface OnceOptions<T> {
  /** The work; returns the value to store (and replay to repeats). */
  run: () => Promise<T>;
  /**
   * The work only reads: it may start alongside the claim, and its result is dropped unseen if
   * the claim finds the key already taken. Saves one round trip on the hot path.
   */
  readOnly?: boolean;
  /** Turns a final error (a GatewayError below 500) into the value to store. */
  onFinalError: (err: GatewayError) => T;
  /** What the ledger keeps for replays (default: the value itself). */
  stored?: (value: T) => unknown;
  /** A side effect after `run` and before completion (sending a reply); a throw releases the key. */
  deliver?: (value: T) => Promise<void>;
  /**
   * Completes the key off the response path (batched with others; `background` keeps the write
   * alive past the response). Only for channels whose platform does not repeat a delivery it saw
   * answered: a repeat meanwhile is told "busy", and retried later.
   */
  background?: (work: Promise<unknown>) => void;
}

/**
 * Runs work at most once per `key`. A completed key replays its stored value; a key held by
 * another delivery throws 409 `idempotency_in_progress`; a key reused with other content throws
 * 409 `idempotency_key_reused`. A GatewayError below 500 is final and stored as
 * `onFinalError(err)`; anything else releases the key for a retry and is rethrown.
 */
export async function once<T>(
  ledger: Ledger,
  key: string,
  fingerprint: string | null,
  options: OnceOptions<T>,
): Promise<Delivered<T>> {
  const settle = (p: Promise<T>) =>
    p.then(
      (value) => ({ value }),
      (error: unknown) =>
        error instanceof GatewayError && error.status < 500
          ? { value: options.onFinalError(error) }
          : { error },
    );
  // A read-only run starts now; its outcome is looked at only once the claim is ours.
  const early = options.readOnly ? settle(options.run()) : undefined;
  const claim = await ledger.claim(key, fingerprint);
  if (claim.status === "done") return { replayed: true, stored: claim.result };
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
  const outcome: { value: T } | { error: unknown } = await (early ?? settle(options.run()));
  try {
    if ("error" in outcome) throw outcome.error;
    if (options.deliver) await options.deliver(outcome.value);
  } catch (err) {
    await ledger.release(key).catch(() => {/* the lease expires on its own */});
    throw err;
  }
  const stored = options.stored ? options.stored(outcome.value) : outcome.value;
  if (options.background) options.background(ledger.completeSoon(key, stored));
  else await ledger.complete(key, stored);
  return { replayed: false, value: outcome.value };
}

/** SHA-256 of a string, hex: fingerprints of requests for the ledger. */
export async function fingerprint(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}
