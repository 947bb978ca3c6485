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
 * - What runs is what the delivery's channel and bot offer (a pressed button's command and its
 *   follow-on too), in that bot's words; a reply keeps only the buttons whose command they offer
 *   (a follow-on they do not offer is dropped from its button), so no button is dead where it is
 *   shown. Adapters render what is left.
 * - Budget: a delivery takes one request from its caller's rate budget and gives it back when it
 *   was only a repeat (a replay, a delivery still in progress) or failed in a way a retry can
 *   fix, so platform retries during an outage never use up a caller's budget.
 * - Final vs retryable: a GatewayError below 500 is final (the caller reads its message; it is
 *   stored for replays). Anything else releases the claim and is thrown: 503 when nothing was
 *   done, 504 when a write may have landed. Read-only commands have no effects, so their 504 is
 *   a 503.
 * - Time limit: a command, and apart from it its follow-on, may run {@link COMMAND_TIMEOUT_MS}.
 *   One still running then is answered 504 `command_timeout` (503 when read-only) and its claim
 *   released, so a retry can run; it is not stopped, and a write it makes later lands under the
 *   same idempotency key, which is why the retry is safe.
 * - A claim's id is chosen here (claims.ts), so a claim whose answer was lost (the call failed
 *   after it may have committed) is asked again at once when the call failed fast (a dropped
 *   connection), else released by its id; the delivery is then 503 (its command never ran). A
 *   claim nobody runs never holds a key for a lease.
 * - Completions and releases are written off the response path (claims.ts): neither an answer
 *   nor a 503/504 waits for them. Completions are batched.
 * - A repeat of a key this instance holds is answered without a database call: 409
 *   `idempotency_in_progress` while the first run runs (Retry-After: the seconds left on its
 *   lease); once that run has answered, the repeat waits up to SETTLE_WAIT_MS for the completion
 *   (or release) and is replayed (or claimed afresh), else 409 with Retry-After 1. A repeat that
 *   reaches another instance asks the ledger: the stored answer, or 409 with the seconds left on
 *   the holder's lease.
 * - A replay is what the first run stored (`Delivery.stored`), unchanged: an adapter stores what
 *   it sent (HTTPS: the body's text), so a replay is the first answer byte for byte.
 * - A delivery that was answered is never turned into a failure afterwards: a completion that
 *   fails is logged, and a repeat then meets the lease (409) and, after it, an idempotent rerun.
 * - A lost claim (the lease ran out and another instance took the key) is logged once, by
 *   whichever of its renewal, completion or release finds it, and left to the new holder.
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
import { createClaims } from "./claims.ts";
import { DB_TIMEOUT_MS } from "./db.ts";
import { type Claim, fingerprint } from "./ledger.ts";
import { offeredActions } from "./actions.ts";
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

/**
 * How long a command may run: four upstream calls that each time out (DB_TIMEOUT_MS). Past it the
 * delivery is answered as a timeout and its claim released (see the rules above).
 */
export const COMMAND_TIMEOUT_MS = 4 * DB_TIMEOUT_MS;
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
  const { registry, identities, executor, limit, log } = core;
  const charged = new TtlCache<string, Charged>({ maxEntries: 20_000, now: core.now });
  const claims = createClaims(core);
  const timeLimit = core.commandTimeoutMs ?? COMMAND_TIMEOUT_MS;

  async function carry<S>(
    d: Delivery<S>,
    caller: Principal | null,
    remember: (stored: S) => void,
  ): Promise<Result<S>> {
    const { record } = d;
    // Wording only: how commands are written where the delivery came from (a Slack app's prefix).
    const prefix = d.bot?.links.commandPrefix;
    const found = registry.get(d.command);
    const command = found && offered(found, d) ? found : undefined;
    if (!command) {
      return finish(
        d,
        refuse(404, "unknown_command", unknownCommandText(d.channel, d.command, prefix)),
      );
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
        : `${d.args.message} Usage: ${usage(command, d.channel, prefix)}`;
      return finish(d, { ok: false, command, error: reworded(d.args, text) });
    }
    let args: unknown;
    try {
      args = parseArgs(command, d.args, d.channel, prefix);
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
    // Every command run is bounded: one that never settles would hold its key for ever.
    const invoke = (c: AnyCommand, a: unknown, idempotencyKey: string | null) =>
      bounded(
        c,
        timeLimit,
        executor.run({
          channel: d.channel,
          command: c,
          args: a,
          principal,
          chat: account,
          idempotencyKey,
          linking: account ? core.linkingFor(account, principal) : null,
          bot: d.bot,
        }),
      );
    const offeredButtons = (r: Reply): Reply => {
      if (!r.actions?.length) return r;
      const actions = offeredActions(r.actions, (name) => {
        const c = registry.get(name);
        return c !== undefined && offered(c, d);
      });
      const { actions: _all, ...rest } = r;
      return actions.length ? { ...rest, actions } : rest;
    };
    const follow = async (first: Reply): Promise<Reply> => {
      const next = d.then && registry.get(d.then.command);
      if (!d.then || !next?.readOnly || !offered(next, d)) return first;
      try {
        const second = await invoke(next, parseArgs(next, d.then.args, d.channel, prefix), null);
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
      settle(command, invoke(command, args, d.id ?? null).then(follow).then(offeredButtons));
    if (d.id === undefined) return finish(d, await run());
    if (command.readOnly && !d.checkReuse) {
      const outcome = await run();
      await finish(d, outcome);
      remember(d.stored(outcome));
      return { replayed: false, outcome };
    }

    const key = d.caller.kind === "token" ? `${d.id}@${principal!.userId}` : d.id;
    const print = d.checkReuse ? fingerprint(`${command.name}\n${JSON.stringify(args)}`) : null;
    // A repeat of a delivery this instance holds is answered here, without the database.
    const known = await claims.known(key, print);
    // A read-only command starts alongside the claim; its outcome is used only if the claim is ours.
    const early = command.readOnly && !known ? run() : undefined;
    early?.catch(() => {});
    let claim: Claim;
    try {
      claim = known ?? await claims.claim(key, print);
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
    const held = claims.hold(key, claim.claim, print, record.request_id);
    let outcome: Outcome;
    try {
      outcome = await (early ?? run());
      await d.deliver?.(outcome);
    } catch (err) {
      held.release();
      throw err;
    }
    held.complete(d.stored(outcome));
    return { replayed: false, outcome };
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

/**
 * `work` (a run of `command`), or a timeout error once `ms` have passed: 504 `command_timeout`
 * (it may still write), 503 for a read-only command (it has nothing to write).
 */
function bounded<T>(command: AnyCommand, ms: number, work: Promise<T>): Promise<T> {
  // A coarse deadline (at most a tick late): a timer per command would cost a Node timer.
  let cancel = () => {};
  const late = new Promise<never>((_, reject) => {
    cancel = deadlines.after(ms, () => reject(overTime(command, ms)));
  });
  return Promise.race([work, late]).finally(() => cancel());
}

function overTime(command: AnyCommand, ms: number): GatewayError {
  const took = `/${command.name} did not finish within ${Math.round(ms / 1000)} s`;
  return command.readOnly
    ? new GatewayError(503, "command_timeout", `${took}; nothing was changed. Retry later.`)
    : new GatewayError(
      504,
      "command_timeout",
      `${took}; it may or may not have been applied. Retry only with the same Idempotency-Key.`,
    );
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
