/**
 * The drain: claims due deliveries from the outbox, sends each through its provider's sender at
 * the platform's pace, and records each outcome. Bounded in time (Edge Functions run for a
 * limited time: no claim after the budget) and in rows. One drain runs at a time per instance; a
 * second request meanwhile joins it. Rules, each written once:
 *
 * - A claim is an attempt. A delivery claimed more than MAX_ATTEMPTS times (its drainers kept
 *   dying) is `dead` without another try.
 * - A send the platform refused for good (`failed`) or that had nothing to send with (`skipped`)
 *   is final. Any other failure is due again: after the platform's `retry_after` when it gave
 *   one, else after an exponential backoff with jitter, capped; at MAX_ATTEMPTS it is `dead`.
 * - An account unlinked since the enqueue gets nothing (`skipped`), nor does one whose owner turned
 *   notifications off since: the claim itself skips those rows (in SQL, so for every instance).
 * - Buttons are checked against the registry and the sending bot before anything is sent.
 */
import type { Core } from "../../supabase/functions/_shared/core.ts";
import { internalDetail } from "../../supabase/functions/_shared/errors.ts";
import { notificationButtons } from "./buttons.ts";
import { claimDeliveries, type ClaimedRow, createReporter, type Report } from "./outbox.ts";
import { Pacer } from "./pace.ts";
import type { NotifierFactory, ProviderNotifier, SendResult } from "./senders.ts";
export { SEND_TIMEOUT_MS } from "./timed_fetch.ts";

/** Claims per delivery before it is dead. */
export const MAX_ATTEMPTS = 10;
/**
 * How long a claim holds its rows: a batch's pacing (at most one row per chat, so under a
 * second) and a send's calls (Discord: opening the DM channel and posting, each bounded at
 * SEND_TIMEOUT_MS) with a margin. A drainer that died releases its rows after this long.
 */
export const LEASE_SECONDS = 15;
/** What the claim keeps between two messages to one chat (Telegram: about one a second). */
export const CHAT_INTERVAL_MS = 1_000;
/** Rows per claim. */
export const BATCH = 50;
/**
 * Batches in flight at once: the next claim is made while the last batch is still being sent at
 * the platforms' pace, so a drain is not idle between batches (the claim leaves out chats with a
 * send in flight). Two batches queue at most a few seconds of sends, well inside the lease.
 */
export const BATCHES_IN_FLIGHT = 2;
/** No claim after this long: an Edge Function's request may not run much longer. */
export const DRAIN_BUDGET_MS = 20_000;
/** Rows per drain at most. */
export const DRAIN_MAX_ROWS = 1_000;
const BACKOFF_BASE_MS = 5_000;
const BACKOFF_CAP_MS = 15 * 60_000;

/** What a drain did. */
export interface DrainSummary {
  claimed: number;
  sent: number;
  /** Not sent this time; due again later. */
  retried: number;
  failed: number;
  dead: number;
  skipped: number;
  /** Outcomes not recorded: the claim had lost its row (or the report did not get through). */
  lost: number;
  ms: number;
  /** Stopped at the time or row bound with rows possibly left: drain again. */
  more: boolean;
}

/** Limits of one drain. */
export interface DrainOptions {
  budgetMs?: number;
  maxRows?: number;
}

/** Drains the outbox. */
export interface Drainer {
  drain(options?: DrainOptions): Promise<DrainSummary>;
}

/** The wait before retry number `attempt + 1`: 5 s, 10 s, 20 s ... up to 15 minutes, ±20%. */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, attempt - 1));
  return Math.round(base * (0.8 + 0.4 * random()));
}

/** The report for a send's result. */
export function reportFor(row: Pick<ClaimedRow, "id" | "claim" | "attempt">, result: SendResult) {
  const { id, claim, attempt } = row;
  switch (result.status) {
    case "sent":
      return { id, claim, status: "sent" } satisfies Report;
    case "failed":
    case "skipped":
      return { id, claim, status: result.status, error: result.error } satisfies Report;
    case "retry":
      if (attempt >= MAX_ATTEMPTS) {
        return {
          id,
          claim,
          status: "dead",
          error: `not sent: gave up after ${attempt} attempts (${result.error})`,
        } satisfies Report;
      }
      return {
        id,
        claim,
        status: "pending",
        error: `not sent yet (attempt ${attempt} of ${MAX_ATTEMPTS}): ${result.error}`,
        retry_in_ms: Math.max(result.afterMs ?? backoffMs(attempt), 0),
      } satisfies Report;
  }
}

/**
 * The report for a delivery claimed more than MAX_ATTEMPTS times (its drainers kept dying before
 * they reported): `dead`, like any delivery given up on, not `failed` (a platform's refusal).
 */
function neverFinished(row: Pick<ClaimedRow, "id" | "claim">): Report {
  return {
    id: row.id,
    claim: row.claim,
    status: "dead",
    error: `not sent: gave up after ${MAX_ATTEMPTS} attempts that never finished`,
  };
}

/** Builds the drainer over the core with the given sender table. */
export function createDrainer(
  core: Core,
  notifiers: Readonly<Record<string, NotifierFactory>>,
): Drainer {
  const providers = new Map<string, ProviderNotifier | undefined>();
  const pacer = new Pacer(core.now, core.sleep);
  const reporter = createReporter(core.rpc, core.log, core.sleep);
  let running: Promise<DrainSummary> | undefined;
  /** A drain was asked for while this one ran: claim again before ending. */
  let again = false;
  /** Ends the running drain's wait at once (a new enqueue must not wait out a chat interval). */
  let poke: (() => void) | undefined;

  const provider = (name: string) => {
    if (!providers.has(name)) providers.set(name, notifiers[name]?.(core));
    return providers.get(name);
  };

  /** Sends one claimed delivery and records the outcome; resolves with the status recorded. */
  async function deliver(row: ClaimedRow): Promise<Report["status"] | "lost"> {
    const report = row.linked && row.attempt > MAX_ATTEMPTS
      ? neverFinished(row)
      : reportFor(row, await attempt(row));
    if (report.status === "failed" || report.status === "dead") {
      core.log.warn("notification not sent", {
        delivery: row.id,
        provider: row.provider,
        bot: row.bot,
        status: report.status,
        attempt: row.attempt,
      });
    }
    return await reporter.add(report) ? report.status : "lost";
  }

  async function attempt(row: ClaimedRow): Promise<SendResult> {
    if (!row.linked) return { status: "skipped", error: "not sent: the account was unlinked" };
    const platform = provider(row.provider);
    if (!platform) {
      return { status: "skipped", error: `not sent: this app cannot send to ${row.provider}` };
    }
    const bot = platform.bot(row.bot);
    if (!bot) {
      return {
        status: "skipped",
        error: `not sent: the app has no ${platform.platform} bot named '${row.bot}'`,
      };
    }
    let buttons;
    try {
      buttons = notificationButtons(core.registry, row.actions, [bot.scope]);
    } catch (err) {
      core.log.warn("notification buttons refused", {
        delivery: row.id,
        detail: internalDetail(err),
      });
      return { status: "failed", error: "not sent: the app gave this message a broken button" };
    }
    await pacer.take(`${row.provider}:${row.bot}`, `${row.provider}:${row.external_id}`, bot.pace);
    try {
      return await bot.send({
        id: row.id,
        notificationId: row.notification_id,
        userId: row.user_id,
        provider: row.provider,
        externalId: row.external_id,
        bot: row.bot,
        text: row.text,
      }, buttons);
    } catch (err) {
      core.log.error("notification sender failed", { detail: internalDetail(err) });
      return { status: "retry", error: "the gateway failed while sending" };
    }
  }

  async function drainNow(options: DrainOptions): Promise<DrainSummary> {
    const started = core.now();
    const budget = options.budgetMs ?? DRAIN_BUDGET_MS;
    const maxRows = options.maxRows ?? DRAIN_MAX_ROWS;
    const summary: DrainSummary = {
      claimed: 0,
      sent: 0,
      retried: 0,
      failed: 0,
      dead: 0,
      skipped: 0,
      lost: 0,
      ms: 0,
      more: false,
    };
    const count = (status: Report["status"] | "lost") => {
      const key = status === "pending" ? "retried" : status;
      summary[key]++;
    };
    let waited = false;
    const inFlight = new Set<Promise<void>>();
    const send = (rows: ClaimedRow[]) => {
      const batch = Promise.all(rows.map(deliver)).then((statuses) => statuses.forEach(count));
      inFlight.add(batch);
      batch.finally(() => inFlight.delete(batch));
    };
    try {
      for (;;) {
        const left = maxRows - summary.claimed;
        if (left <= 0 || core.now() - started >= budget) {
          summary.more = true;
          break;
        }
        const rows = await claimDeliveries(
          core.rpc,
          Math.min(BATCH, left),
          LEASE_SECONDS,
          CHAT_INTERVAL_MS,
        );
        if (!rows.length) {
          if (inFlight.size) { // what is being sent frees its chats: claim again once it is done
            await Promise.race(inFlight);
            continue;
          }
          if (again) { // a drain was asked for meanwhile: something new may be due
            again = false;
            waited = false;
            continue;
          }
          // Nothing due now. After a batch, a chat's next message may only wait out the chat's
          // interval (the claim skips chats written to within it): look once more after it.
          if (waited || !summary.claimed) break;
          waited = true;
          await new Promise<void>((resolve) => {
            poke = resolve;
            core.sleep(CHAT_INTERVAL_MS).then(resolve);
          });
          poke = undefined;
          continue;
        }
        waited = false;
        summary.claimed += rows.length;
        send(rows);
        while (inFlight.size >= BATCHES_IN_FLIGHT) await Promise.race(inFlight);
      }
      while (inFlight.size) await Promise.race(inFlight);
    } finally {
      await Promise.allSettled([...inFlight]); // a claim that failed leaves these to finish
      await reporter.idle();
      summary.ms = core.now() - started;
    }
    return summary;
  }

  return {
    drain(options = {}) {
      if (running) {
        again = true;
        poke?.();
        return running;
      }
      again = false;
      running = drainNow(options).finally(() => (running = undefined));
      return running;
    },
  };
}
