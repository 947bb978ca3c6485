/**
 * The delivery ledger, as the pipeline uses it: claim a delivery key, run, then complete it with
 * the answer to replay, or release it when a retry could succeed. Backed by the service-role-only
 * SQL functions of the `delivery_ledger` migration.
 */
import { DB_TIMEOUT_MS, type ServiceRpc } from "./db.ts";
import { sha256 } from "./hmac.ts";

/** What a claim found. `claim` identifies this claim (never reused, unlike `attempt`). */
export type Claim =
  | { status: "claimed"; attempt: number; claim: number }
  | { status: "done"; result: unknown }
  | { status: "busy"; retry_after: number }
  | { status: "mismatch" };

/**
 * The ledger operations. A key is held by the claim that took it: completing, releasing and
 * extending take the claim's id and act only while that claim still holds the key, so a gateway
 * whose lease ran out cannot complete or free a claim another instance has taken over since. Each
 * says whether it did (false: the claim was lost).
 */
export interface Ledger {
  /**
   * Claims `key`. `claim`: the claim's id, chosen by the caller ({@link newClaimId}); asked again
   * with it while that claim holds the key, the answer is "claimed" again, so a claim whose
   * answer was lost can be asked again, or released by its id.
   */
  claim(
    key: string,
    fingerprint: string | null,
    leaseSeconds?: number,
    claim?: number,
  ): Promise<Claim>;
  complete(key: string, claim: number, result: unknown): Promise<boolean>;
  /**
   * Completes off the response path: completions queued within a few milliseconds go to the
   * database in one call. Resolves when this key's batch is written: whether this claim
   * completed it.
   */
  completeSoon(key: string, claim: number, result: unknown): Promise<boolean>;
  release(key: string, claim: number): Promise<boolean>;
  /** Renews a held claim's lease; false when the claim no longer holds the key. */
  extend(key: string, claim: number, leaseSeconds?: number): Promise<boolean>;
}

/**
 * How long a claim holds a key without renewal: an identity look-up and the command's own calls,
 * each bounded by the upstream timeout, plus a margin. A delivery that takes longer (a reply
 * waiting out Telegram's 429s, a press with its follow-on) renews it every {@link RENEW_MS}, and
 * retries a failed renewal every {@link RENEW_RETRY_MS}: a live instance keeps its claim through
 * a database outage of up to LEASE - RENEW - RENEW_RETRY (8.5 s). A gateway that died (or could
 * not reach the database for longer) loses its claim after at most this long.
 */
export const LEASE_SECONDS = Math.ceil((2 * DB_TIMEOUT_MS) / 1000) + 2;
/** How often a running delivery renews its lease: four times per lease. */
export const RENEW_MS = (LEASE_SECONDS * 1000) / 4;
/** How soon a failed renewal is tried again. */
export const RENEW_RETRY_MS = 500;
/** How long a background completion waits for others to share its database call. */
const BATCH_WINDOW_MS = 30;
const MAX_BATCH = 100;

interface Batch {
  items: { key: string; claim: number; result: unknown }[];
  /** Starts the batch's write (idempotent). */
  go: () => void;
  /** The claims the write completed, as `key\nclaim`. */
  written: Promise<Set<string>>;
}

/** Builds the ledger over the service RPC. */
export function createLedger(rpc: ServiceRpc): Ledger {
  // The batch still taking completions. Each batch has its own write, so a caller's promise
  // resolves when the call that carries its key is done, whichever closed the batch (the window
  // or a full batch).
  let open: Batch | undefined;
  const openBatch = (): Batch => {
    let go!: () => void;
    const started = new Promise<void>((resolve) => go = resolve);
    const batch: Batch = { items: [], go, written: Promise.resolve(new Set()) };
    batch.written = started.then(async () => {
      if (open === batch) open = undefined;
      const done = await rpc<{ key: string; claim: number | null }[] | null>(
        "gateway_complete_deliveries",
        { p_items: batch.items },
      );
      return new Set((done ?? []).map((d) => `${d.key}\n${d.claim}`));
    });
    setTimeout(() => {
      if (open === batch) open = undefined;
      go();
    }, BATCH_WINDOW_MS);
    return batch;
  };
  return {
    completeSoon(key, claim, result) {
      const batch = open ??= openBatch();
      batch.items.push({ key, claim, result: result ?? null });
      if (batch.items.length >= MAX_BATCH) {
        open = undefined;
        batch.go();
      }
      return batch.written.then((done) => done.has(`${key}\n${claim}`));
    },
    claim: (key, fingerprint, leaseSeconds = LEASE_SECONDS, claim) =>
      rpc<Claim>("gateway_claim_delivery", {
        p_key: key,
        p_fingerprint: fingerprint,
        p_lease_seconds: leaseSeconds,
        ...(claim === undefined ? {} : { p_claim: claim }),
      }),
    complete: (key, claim, result) =>
      rpc<boolean>("gateway_complete_delivery", {
        p_key: key,
        p_claim: claim,
        p_result: result ?? null,
      }),
    release: (key, claim) =>
      rpc<boolean>("gateway_release_delivery", { p_key: key, p_claim: claim }),
    extend: (key, claim, leaseSeconds = LEASE_SECONDS) =>
      rpc<boolean>("gateway_extend_delivery", {
        p_key: key,
        p_claim: claim,
        p_lease_seconds: leaseSeconds,
      }),
  };
}

/**
 * A fresh claim id: random in [2^52, 2^53), so it is exact in JSON, far above what the ledger's
 * own sequence hands out, and (at 2^-52 a pair) never the id of another claim on the same key.
 */
export function newClaimId(): number {
  const [high, low] = crypto.getRandomValues(new Uint32Array(2));
  return 2 ** 52 + (high & 0xfffff) * 2 ** 32 + low;
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
