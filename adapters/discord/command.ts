/**
 * Slash commands (APPLICATION_COMMAND interactions), translated for the pipeline: the interaction
 * id is the delivery id (`dc:<id>`), the caller the interaction's user, the options the
 * arguments; the outcome becomes an interaction response (final errors: a private message).
 * Discord wants an answer within 3 seconds: a delivery still running when the budget is spent is
 * answered with a deferred response (type 5) and finished in the background, its reply edited
 * into the original message. Discord never redelivers an interaction, so a failure a retry could
 * fix is told to the user, who may send the command again.
 */
import type { Core } from "../../supabase/functions/_shared/core.ts";
import type { AnyCommand } from "../../supabase/functions/_shared/command.ts";
import { asGatewayError, internalDetail } from "../../supabase/functions/_shared/errors.ts";
import type { RequestRecord } from "../../supabase/functions/_shared/log.ts";
import type { Outcome, Result } from "../../supabase/functions/_shared/pipeline.ts";
import {
  deferredResponse,
  type InteractionResponse,
  type MessageBody,
  messageResponse,
} from "./format.ts";
import { chatAccount, type Interaction, optionArgs } from "./interaction.ts";
import { editOriginal } from "./webhook.ts";
import { offeredOn } from "../../supabase/functions/_shared/command.ts";

/** Shown when the database (or another dependency) failed before anything was done. */
export const UNAVAILABLE_TEXT = "The service is unavailable right now; try again in a moment.";
/** Shown when a write may or may not have happened (the database did not answer in time). */
export const UNKNOWN_TEXT = "The service did not answer in time, so this may or may not have " +
  "been done. Check before you send it again.";
/** Edited into a deferred reply whose command failed for a reason the caller cannot fix. */
export const FAILED_TEXT = "Something went wrong; try again.";
const BUSY_TEXT = "This command is already being handled.";

/** The registry's command for a slash-command name, if it is offered on Discord. */
export function discordCommand(core: Core, name: unknown): AnyCommand | undefined {
  const command = typeof name === "string" ? core.registry.get(name) : undefined;
  return command && offeredOn(command, "discord") ? command : undefined;
}

/** The response to a slash command; never throws for a failure the user should hear about. */
export async function answerCommand(
  core: Core,
  interaction: Interaction,
  deadline: number,
  record: RequestRecord,
): Promise<InteractionResponse> {
  const name = interaction.data?.name;
  const ephemeral = !discordCommand(core, name)?.publicReply;
  const work = core.pipeline<InteractionResponse>({
    channel: "discord",
    caller: { kind: "chat", account: chatAccount(interaction) },
    command: typeof name === "string" ? name : "",
    args: optionArgs(interaction.data?.options),
    id: `dc:${interaction.id}`,
    stored: (outcome) => render(outcome, ephemeral),
    record,
  });
  const settled = work.then(
    (result) => responseFor(result, ephemeral),
    (err) => failureResponse(core, err, record),
  );
  const finished = await within(settled, deadline - performance.now());
  if (finished) return finished.value;
  record.deferred = true;
  core.background(finishDeferred(core, interaction, settled));
  return deferredResponse(ephemeral);
}

function responseFor(result: Result<InteractionResponse>, ephemeral: boolean) {
  return result.replayed ? result.stored : render(result.outcome, ephemeral);
}

/** The interaction response for an outcome: the reply, or a private error message. */
function render(outcome: Outcome, ephemeral: boolean): InteractionResponse {
  if (outcome.ok) return messageResponse(outcome.reply.text, ephemeral);
  return messageResponse(outcome.error.message, true);
}

/** What the user reads when the delivery could not be done. */
function failureResponse(core: Core, err: unknown, record: RequestRecord): InteractionResponse {
  const error = asGatewayError(err);
  record.error_code = error.code;
  if (error.code === "idempotency_in_progress") return messageResponse(BUSY_TEXT, true);
  if (error.code === "internal") {
    core.log.error("discord command failed", {
      request_id: record.request_id,
      detail: internalDetail(err),
    });
    return messageResponse(FAILED_TEXT, true);
  }
  if (error.status < 500) return messageResponse(error.message, true);
  return messageResponse(error.status === 504 ? UNKNOWN_TEXT : UNAVAILABLE_TEXT, true);
}

/** Waits for the deferred delivery and edits its reply into the original message. */
async function finishDeferred(
  core: Core,
  interaction: Interaction,
  settled: Promise<InteractionResponse>,
): Promise<void> {
  const response = await settled;
  const content = String(response.data?.content ?? FAILED_TEXT);
  // The message's visibility was fixed by the deferred response; an edit cannot change it.
  const { flags: _fixed, ...body } = { ...(response.data ?? {}), content } as MessageBody;
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
