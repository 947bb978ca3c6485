/**
 * The delivery pipeline: the one place that decides how a request to run a command is carried
 * out, whatever channel it came from. Adapters only translate a platform request into a
 * {@link Delivery} and the neutral {@link Outcome} back into the platform's reply; every rule
 * lives here, in this order:
 *
 *   verify caller → rate limit → command → arguments → principal → ledger claim → run
 *   → deliver → complete (or release)
 *
 * Rules, each written once:
 * - Rejected input (unknown command, bad arguments, unlinked account, rate limit) is a final
 *   outcome decided before the ledger: nothing is written for it.
 * - Budget: a delivery takes one request from its caller's rate budget and gives it back when it
 *   was only a repeat (a replay, a delivery still in progress) or failed in a way a retry can
 *   fix, so platform retries during an outage never use up a caller's budget.
 * - Final vs retryable: a GatewayError below 500 is final (the caller reads its message; it is
 *   stored for replays). Anything else releases the claim and is thrown: 503 when nothing was
 *   done, 504 when a write may have landed. Read-only commands have no effects, so their 504 is
 *   a 503.
 * - Completions are written off the response path, batched: the answer does not wait for them.
 *   A repeat that reaches this instance meanwhile waits for its completion and is replayed; one
 *   that reaches another instance first meets the lease (409, retry later).
 * - A delivery that was answered is never turned into a failure afterwards: a completion that
 *   fails is logged, and a repeat then meets the lease (409) and, after it, an idempotent rerun.
 * - A read-only command delivered by a chat platform runs without the ledger: it has no effect
 *   to guard, and the ledger's claim and completion would be two of its three database calls. A
 *   redelivery this instance already answered is replayed from memory; one that reaches another
 *   instance (only after a lost acknowledgement) is answered again, with the same read.
 *   HTTPS Idempotency-Key requests keep the ledger: their contract is a stored answer.
 */
import type { BotScope } from "./bot.ts";
import { type AnyCommand, offeredOn } from "./command.ts";
import { deadlines } from "./deadlines.ts";
import type { Core } from "./core.ts";
import { asGatewayError, GatewayError, internalDetail } from "./errors.ts";
import { parseArgs } from "./args.ts";
import { fingerprint, LEASE_SECONDS, RENEW_MS, RENEW_RETRY_MS } from "./ledger.ts";
import type { RequestRecord } from "./log.ts";
import type { Channel, ChatAccount, Principal } from "./principal.ts";
import type { Ticket } from "./rate_limit.ts";
import { TtlCache } from "./cache.ts";
import type { Reply } from "./reply.ts";
import { notLinkedText, unknownCommandText, usage } from "./wording.ts";

/** Who is calling, as the adapter received it. */
export type Caller =
  /** An HTTPS caller's bearer token, verified here. */
  | { kind: "token"; token: string }
  /** A chat account whose platform proof (secret header, signature) the adapter checked. */
  | { kind: "chat"; account: ChatAccount }
  /**
   * An HTTPS caller without a session (no token, or the anon/publishable key that supabase-js
   * sends when signed out): only commands with `requires: "none"` run. `from` names the caller
   * for the rate limit (the client address the platform forwarded).
   */
  | { kind: "anonymous"; from: string };

/** One request to run one command, from any channel. */
export interface Delivery<Stored = unknown> {
  channel: Channel;
  /** The bot that received it (chat channels): only its commands run, in its words. */
  bot?: BotScope;
  caller: Caller;
  /** The command's registry name (or what the caller typed, when no command has it). */
  command: string;
  /** The arguments as sent, or why the adapter could not read them (a final 4xx). */
  args: Record<string, unknown> | GatewayError;
  /**
   * The platform's id of this delivery (Telegram update, Discord interaction, HTTPS
   * Idempotency-Key, already prefixed by channel): the ledger key and the commands' idempotency
   * key. HTTPS ids are scoped to the caller. Absent: the delivery runs without the ledger.
   */
  id?: string;
  /** A reused id must carry the same command and arguments (HTTPS Idempotency-Key). */
  checkReuse?: boolean;
  /**
   * A read-only command to run after this one succeeds, as the same caller (a pressed button's
   * follow-on, e.g. the list to refresh): its reply, headed by the first one's text, replaces
   * the message. When it cannot run, the first reply stands.
   */
  then?: { command: string; args: Record<string, unknown> };
  /**
   * Sends the outcome before the delivery is completed (Telegram's sendMessage): a throw
   * releases the claim so the platform's retry runs the delivery again.
   */
  deliver?: (outcome: Outcome) => Promise<void>;
  /** What the ledger keeps to replay to a repeat of this delivery. */
  stored(outcome: Outcome): Stored;
  record: RequestRecord;
}

/** How a delivery ended, for the adapter to render. */
export type Outcome =
  | { ok: true; reply: Reply; command: AnyCommand }
  | {
    ok: false;
    error: GatewayError;
    command?: AnyCommand;
    /** The caller was already told this (a repeated rate-limit refusal): stay silent if you can. */
    quiet?: boolean;
  };

/** A fresh outcome, or what an earlier run of the same delivery stored. */
export type Result<Stored> =
  | { replayed: false; outcome: Outcome }
  | { replayed: true; stored: Stored };

/** Runs deliveries; built once per gateway. */
export type Pipeline = <Stored>(delivery: Delivery<Stored>) => Promise<Result<Stored>>;

/** How long a charged delivery id is remembered: longer than platforms keep redelivering. */
const CHARGED_TTL_MS = 10 * 60_000;
const FREE: Ticket = { refund() {} };
/** A charged delivery: its stored answer when it ran without the ledger (read-only), to replay. */
type Charged = { stored?: unknown };

/** Whether a thrown pipeline error asks the platform to try again later. */
export function retryable(err: GatewayError): boolean {
  return err.status >= 500 || err.code === "idempotency_in_progress";
}

/** Builds the pipeline over the core's services. */
export function createPipeline(core: Omit<Core, "pipeline">): Pipeline {
  const { registry, identities, executor, ledger, limit, log } = core;
  const charged = new TtlCache<string, Charged>({ maxEntries: 20_000, now: core.now });
  /** Completions on their way to the database, by ledger key. */
  const completing = new Map<string, Promise<void>>();

  async function carry<S>(
    d: Delivery<S>,
    caller: Principal | null,
    remember: (stored: S) => void,
  ): Promise<Result<S>> {
    const { record } = d;
    const found = registry.get(d.command);
    const command = found && offered(found, d) ? found : undefined;
    if (!command) {
      return finish(d, refuse(404, "unknown_command", unknownCommandText(d.channel, d.command)));
    }
    record.command = command.name;
    if (command.requires === "user" && d.caller.kind === "anonymous") {
      // Who may call comes before what was sent.
      return finish(d, { ok: false, command, error: signInFirst() });
    }
    if (d.args instanceof GatewayError) {
      // The adapter could not read the arguments (e.g. too many words): show how to write them.
      const text = d.channel === "http"
        ? d.args.message
        : `${d.args.message} Usage: ${usage(command, d.channel)}`;
      return finish(d, { ok: false, command, error: reworded(d.args, text) });
    }
    let args: unknown;
    try {
      args = parseArgs(command, d.args, d.channel);
    } catch (err) {
      if (!(err instanceof GatewayError) || err.status >= 500) throw err;
      return finish(d, { ok: false, command, error: err });
    }
    const account = d.caller.kind === "chat" ? d.caller.account : null;
    let principal = caller;
    try {
      if (account) principal = await identities.principalFor(account);
    } catch (err) {
      throw notDone(err); // a look-up: nothing was done yet
    }
    if (principal) record.user_id = principal.userId;
    if (command.requires === "user" && !principal) {
      return finish(d, {
        ok: false,
        command,
        error: account
          ? new GatewayError(
            401,
            "not_linked",
            notLinkedText(d.channel, d.bot?.links ?? core.executor.links),
          )
          : signInFirst(),
      });
    }
    const invoke = (c: AnyCommand, a: unknown, idempotencyKey: string | null) =>
      executor.run({
        channel: d.channel,
        command: c,
        args: a,
        principal,
        chat: account,
        idempotencyKey,
        linking: account ? core.linkingFor(account, principal) : null,
        bot: d.bot,
      });
    const follow = async (first: Reply): Promise<Reply> => {
      const next = d.then && registry.get(d.then.command);
      if (!d.then || !next?.readOnly || !offered(next, d)) return first;
      try {
        const second = await invoke(next, parseArgs(next, d.then.args, d.channel), null);
        return { ...second, text: `${first.text}\n\n${second.text}`, replaces: true };
      } catch (err) {
        // The command itself was done: its own reply is the answer.
        log.warn("follow-on command failed", {
          request_id: record.request_id,
          detail: internalDetail(err),
        });
        return first;
      }
    };
    const run = (): Promise<Outcome> =>
      settle(command, invoke(command, args, d.id ?? null).then(follow));
    if (d.id === undefined) return finish(d, await run());
    if (command.readOnly && !d.checkReuse) {
      const outcome = await run();
      await finish(d, outcome);
      remember(d.stored(outcome));
      return { replayed: false, outcome };
    }

    const key = d.caller.kind === "token" ? `${d.id}@${principal!.userId}` : d.id;
    const print = d.checkReuse ? fingerprint(`${command.name}\n${JSON.stringify(args)}`) : null;
    await completing.get(key); // a repeat of a delivery this instance just answered
    // A read-only command starts alongside the claim; its outcome is used only if the claim is ours.
    const early = command.readOnly ? run() : undefined;
    early?.catch(() => {});
    let claim;
    try {
      claim = await ledger.claim(key, print, LEASE_SECONDS);
    } catch (err) {
      throw notDone(err); // the command did not run
    }
    if (claim.status === "done") return { replayed: true, stored: claim.result as S };
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
    const owner = claim.claim;
    const lost = () => log.warn("delivery lease lost", { request_id: record.request_id });
    const held = holdLease(key, owner, lost);
    let outcome: Outcome;
    try {
      outcome = await (early ?? run());
      await d.deliver?.(outcome);
    } catch (err) {
      held.stop();
      // Not reached: the lease runs out on its own. Not ours any more: say so.
      await ledger.release(key, owner).then((ours) => ours || lost(), () => {});
      throw err;
    }
    held.stop();
    const logged = ledger.completeSoon(key, owner, d.stored(outcome)).then(
      (ours) => void (ours || lost()),
      (err) =>
        log.warn("ledger completion failed", {
          request_id: record.request_id,
          detail: internalDetail(err),
        }),
    );
    completing.set(key, logged);
    core.background(logged.finally(() => {
      if (completing.get(key) === logged) completing.delete(key);
    }));
    return { replayed: false, outcome };
  }

  /**
   * Keeps a claim while its delivery runs: renews the lease every RENEW_MS (a delivery normally
   * ends before the first renewal, so this costs no call) and retries a renewal that did not
   * reach the database every RENEW_RETRY_MS, until `stop()`. A renewal that finds the claim gone
   * calls `lost`: the lease ran out while this instance could not reach the database, and another
   * instance may be running the delivery too.
   */
  function holdLease(key: string, claim: number, lost: () => void) {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const renew = async () => {
      const held = await ledger.extend(key, claim, LEASE_SECONDS).catch(() => null);
      if (stopped) return;
      if (held === false) return lost();
      timer = setTimeout(renew, held ? RENEW_MS : RENEW_RETRY_MS);
    };
    // The first renewal on a coarse deadline (at most a tick late): nearly every delivery ends
    // before it, and a timer per delivery would cost a Node timer. Later ones keep their pace.
    const first = deadlines.after(RENEW_MS, renew);
    return {
      stop() {
        stopped = true;
        first();
        clearTimeout(timer);
      },
    };
  }

  return async function pipeline<S>(d: Delivery<S>): Promise<Result<S>> {
    const { record } = d;
    record.channel = d.channel;
    if (d.bot) record.bot = d.bot.name;
    let principal: Principal | null = null;
    if (d.caller.kind === "token") {
      try {
        principal = await core.principalForToken(d.caller.token);
      } catch (err) {
        const error = asGatewayError(err);
        if (error.status >= 500) throw err;
        return finish(d, { ok: false, error });
      }
      record.user_id = principal.userId;
    }
    const caller = principal
      ? `user:${principal.userId}`
      : d.caller.kind === "anonymous"
      ? `anonymous:${d.caller.from}`
      : `${d.channel}:${(d.caller as { account: ChatAccount }).account.externalId}`;
    // A delivery this instance already charged (a redelivery of an answered update) is free.
    const chargeKey = d.id === undefined ? undefined : `${caller}\n${d.id}`;
    let ticket: Ticket = FREE;
    const earlier = chargeKey === undefined ? undefined : charged.get(chargeKey);
    if (earlier && "stored" in earlier) {
      record.replayed = true;
      return { replayed: true, stored: earlier.stored as S };
    }
    if (!earlier) {
      try {
        ticket = limit(caller);
      } catch (err) {
        const error = asGatewayError(err);
        return finish(d, { ok: false, error, quiet: error.details?.repeated === true });
      }
    }
    try {
      let answer: Charged = {};
      const result = await carry(d, principal, (stored) => (answer = { stored }));
      record.replayed = result.replayed;
      if (result.replayed) ticket.refund();
      else if (chargeKey !== undefined) charged.set(chargeKey, answer, core.now() + CHARGED_TTL_MS);
      return result;
    } catch (err) {
      ticket.refund();
      const error = asGatewayError(err);
      record.error_code = error.code;
      throw err;
    }
  };

  async function finish<S>(d: Delivery<S>, outcome: Outcome): Promise<Result<S>> {
    if (!outcome.ok) d.record.error_code = outcome.error.code;
    await d.deliver?.(outcome);
    return { replayed: false, outcome };
  }
}

/** Whether the delivery's channel, and its bot, offer `command`. */
function offered(command: AnyCommand, d: Delivery<unknown>): boolean {
  return offeredOn(command, d.channel) && (!d.bot || d.bot.offers(command));
}

/** A command's result as an outcome: final errors become outcomes, others are thrown. */
function settle(command: AnyCommand, work: Promise<Reply>): Promise<Outcome> {
  return work.then(
    (reply): Outcome => ({ ok: true, reply, command }),
    (err: unknown): Outcome => {
      if (err instanceof GatewayError && err.status < 500) {
        return { ok: false, error: err, command };
      }
      if (command.readOnly && err instanceof GatewayError && err.status === 504) throw notDone(err);
      throw err;
    },
  );
}

function signInFirst(): GatewayError {
  return new GatewayError(401, "missing_token", notLinkedText("http", {}));
}

function refuse(status: number, code: GatewayError["code"], message: string): Outcome {
  return { ok: false, error: new GatewayError(status, code, message) };
}

function reworded(error: GatewayError, message: string): GatewayError {
  return message === error.message
    ? error
    : new GatewayError(error.status, error.code, message, error.details);
}

/** A failure before the command ran (or of a command without effects): nothing was done. */
function notDone(err: unknown): GatewayError {
  const error = asGatewayError(err);
  if (error.status === 504) {
    return new GatewayError(503, "db_unavailable", "The database is unavailable; retry later.");
  }
  return error;
}
