/**
 * The outbox as the drain sees it: the two service-role SQL functions of the `notifications`
 * migration. `claim` takes due deliveries with a lease (FOR UPDATE SKIP LOCKED: two instances
 * never get the same row; a crashed drainer's rows are due again when the lease ends);
 * `report` records outcomes, and only for the claim that still holds the row.
 *
 * Reports are written as soon as they come and coalesced while one is on its way: the time
 * between the platform accepting a message and the database knowing it (the only window in which
 * a crash makes the message go twice) is one database call, not a batch.
 */
import type { ServiceRpc } from "../../supabase/functions/_shared/db.ts";
import { internalDetail } from "../../supabase/functions/_shared/errors.ts";
import type { Logger } from "../../supabase/functions/_shared/log.ts";

/** A claimed delivery, as `gateway_claim_notifications` returns it. */
export interface ClaimedRow {
  id: number;
  claim: number;
  attempt: number;
  notification_id: string;
  user_id: string;
  provider: string;
  external_id: string;
  bot: string;
  text: string;
  actions: unknown;
  /** False when the account was unlinked since the notification was enqueued. */
  linked: boolean;
}

/** An outcome to record. */
export interface Report {
  id: number;
  claim: number;
  status: "sent" | "pending" | "failed" | "dead" | "skipped";
  error?: string;
  /** For `pending`: due again this long from now (database time). */
  retry_in_ms?: number;
}

/**
 * Claims up to `limit` due deliveries for `leaseSeconds`, none to a chat written to within the
 * last `chatIntervalMs`.
 */
export function claimDeliveries(
  rpc: ServiceRpc,
  limit: number,
  leaseSeconds: number,
  chatIntervalMs: number,
): Promise<ClaimedRow[]> {
  return rpc<ClaimedRow[]>("gateway_claim_notifications", {
    p_limit: limit,
    p_lease_seconds: leaseSeconds,
    p_chat_interval_ms: chatIntervalMs,
  });
}

/** Writes reports; `add` resolves with whether the claim still held its row. */
export interface Reporter {
  add(report: Report): Promise<boolean>;
  /** Resolves once every report added so far is written (or given up). */
  idle(): Promise<void>;
}

const MAX_BATCH = 100;
/** A report that did not reach the database is tried again this often, this many times. */
const RETRY_MS = 300;
const TRIES = 4;

/** Builds a reporter over the service RPC. */
export function createReporter(
  rpc: ServiceRpc,
  log: Logger,
  sleep: (ms: number) => Promise<void>,
): Reporter {
  const queue: { report: Report; done: (held: boolean) => void }[] = [];
  let running: Promise<void> | null = null;

  async function write(batch: typeof queue): Promise<void> {
    for (let attempt = 1;; attempt++) {
      try {
        const recorded = new Set(
          await rpc<number[]>("gateway_report_notifications", {
            p_items: batch.map((b) => b.report),
          }),
        );
        for (const b of batch) b.done(recorded.has(b.report.id));
        return;
      } catch (err) {
        if (attempt >= TRIES) {
          // The rows stay claimed until their lease ends, then go again: a sent one twice.
          log.warn("notification report failed", {
            deliveries: batch.length,
            detail: internalDetail(err),
          });
          for (const b of batch) b.done(false);
          return;
        }
        await sleep(RETRY_MS);
      }
    }
  }

  async function run(): Promise<void> {
    while (queue.length) await write(queue.splice(0, MAX_BATCH));
    running = null;
  }

  return {
    add(report) {
      return new Promise((done) => {
        queue.push({ report, done });
        running ??= Promise.resolve().then(run);
      });
    },
    idle: () => running ?? Promise.resolve(),
  };
}
