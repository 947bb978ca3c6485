/**
 * Slash commands (APPLICATION_COMMAND interactions). Each interaction runs at most once: its id
 * is the delivery-ledger key (`dc:<id>`) and the command's idempotency key, and a repeat gets
 * the stored response replayed. The caller becomes the linked Supabase user; final errors
 * (< 500) become a private reply. Discord wants an answer within 3 seconds: a command still
 * running when the budget is spent is answered with a deferred response (type 5) and finished
 * in the background, its reply edited into the original message.
 */
import type { Core } from "../../supabase/functions/_shared/core.ts";
import type { AnyCommand } from "../../supabase/functions/_shared/command.ts";
import {
  asGatewayError,
  GatewayError,
  internalDetail,
} from "../../supabase/functions/_shared/errors.ts";
import { once } from "../../supabase/functions/_shared/ledger.ts";
import type { RequestRecord } from "../../supabase/functions/_shared/log.ts";
import type { ChatAccount } from "../../supabase/functions/_shared/principal.ts";
import { answerChat } from "../../supabase/functions/_shared/chat.ts";
import {
  deferredResponse,
  type InteractionResponse,
  messageBody,
  messageResponse,
} from "./format.ts";
import { chatAccount, type Interaction, optionArgs } from "./interaction.ts";
import { editOriginal } from "./webhook.ts";
import { offeredOn } from "../../supabase/functions/_shared/command.ts";

/** Shown when the database (or another dependency) fails before anything was sent. */
export const UNAVAILABLE_TEXT = "The service is unavailable right now; try again in a moment.";
/** Edited into a deferred reply whose command failed for a reason the caller cannot fix. */
export const FAILED_TEXT = "Something went wrong; try again.";

/** What a command produced for the caller. */
interface Outcome {
  text: string;
  ephemeral: boolean;
}

/** The registry's command for a slash-command name, if it is offered on Discord. */
export function discordCommand(core: Core, name: unknown): AnyCommand | undefined {
  const command = typeof name === "string" ? core.registry.get(name) : undefined;
  return command && offeredOn(command, "discord") ? command : undefined;
}

/**
 * The response to a slash command. Never throws for a failure Discord's user should hear about:
 * an outage before anything was sent is a private "unavailable" message (Discord does not retry
 * interactions), and the ledger key is released so a repeat could run.
 */
export async function answerCommand(
  core: Core,
  interaction: Interaction,
  deadline: number,
  record: RequestRecord,
): Promise<InteractionResponse> {
  const command = discordCommand(core, interaction.data?.name);
  record.command = command?.name ?? "(unknown)";
  const key = `dc:${interaction.id}`;
  try {
    const account = chatAccount(interaction);
    // Before any database call: a flooding account costs nothing but this reply.
    core.limit(`discord:${account.externalId}`);
    const delivered = await once<Answer>(core.ledger, key, null, {
      run: () =>
        runOrDefer(
          command,
          deadline,
          record,
          () => commandOutcome(core, interaction, account, command, key, record),
        ),
      readOnly: !command || command.readOnly,
      onFinalError: (err) => ({ response: messageResponse(err.message, true) }),
      stored: (answer) => answer.response,
      // Discord does not redeliver an interaction it got an answer for.
      background: (work) => core.background(work),
    });
    record.replayed = delivered.replayed;
    if (delivered.replayed) return delivered.stored as InteractionResponse;
    // Only a delivery that owns the key finishes a deferred command.
    const { response, pending } = delivered.value;
    if (pending) core.background(finishDeferred(core, interaction, pending));
    return response;
  } catch (err) {
    const error = asGatewayError(err);
    record.error_code = error.code;
    if (error.code === "idempotency_in_progress") {
      return messageResponse("This command is already being handled.", true);
    }
    if (error.status < 500) return messageResponse(error.message, true);
    if (!(err instanceof GatewayError)) {
      core.log.error("discord command failed", {
        request_id: record.request_id,
        detail: internalDetail(err),
      });
    }
    return messageResponse(UNAVAILABLE_TEXT, true);
  }
}

/** The response to send now, and the command still running when it was deferred. */
interface Answer {
  response: InteractionResponse;
  pending?: Promise<Outcome>;
}

/** Runs the command; answers with its reply if it is done by `deadline`, else defers. */
async function runOrDefer(
  command: AnyCommand | undefined,
  deadline: number,
  record: RequestRecord,
  start: () => Promise<Outcome>,
): Promise<Answer> {
  const ephemeral = !command?.publicReply;
  const work = start();
  const finished = await within(work, deadline - performance.now());
  if (finished) {
    return { response: messageResponse(finished.value.text, finished.value.ephemeral) };
  }
  record.deferred = true;
  // Keep a late failure from going unhandled; finishDeferred reports it.
  work.catch(() => {});
  return { response: deferredResponse(ephemeral), pending: work };
}

/** The caller's reply; final errors become text, retryable ones (>= 500) throw. */
async function commandOutcome(
  core: Core,
  interaction: Interaction,
  account: ChatAccount,
  command: AnyCommand | undefined,
  key: string,
  record: RequestRecord,
): Promise<Outcome> {
  const ephemeral = !command?.publicReply;
  if (!command) return { text: "Unknown command. Send /help to see what I can do.", ephemeral };
  const answered = await answerChat(core, {
    account,
    command,
    rawArgs: optionArgs(interaction.data?.options),
    idempotencyKey: key,
    record,
  });
  return { text: answered.text, ephemeral: answered.private || ephemeral };
}

/** Waits for the deferred command and edits its reply (or a failure notice) into the message. */
async function finishDeferred(
  core: Core,
  interaction: Interaction,
  work: Promise<Outcome>,
): Promise<void> {
  let text: string;
  try {
    text = (await work).text;
  } catch (err) {
    if (!(err instanceof GatewayError)) {
      core.log.error("deferred discord command failed", { detail: internalDetail(err) });
    }
    text = FAILED_TEXT;
  }
  // The message's visibility was fixed by the deferred response; an edit cannot change it.
  const { flags: _fixed, ...body } = messageBody(text, false);
  await editOriginal(core, {
    apiBase: core.config.discord!.apiBase,
    applicationId: interaction.application_id,
    token: interaction.token,
  }, body);
}

/** The promise's value if it settles within `ms`; undefined once the budget is spent. */
async function within<T>(promise: Promise<T>, ms: number): Promise<{ value: T } | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const budget = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), Math.max(0, ms));
  });
  try {
    return await Promise.race([promise.then((value) => ({ value })), budget]);
  } finally {
    clearTimeout(timer);
  }
}
