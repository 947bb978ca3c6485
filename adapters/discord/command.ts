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
import { deadlines } from "../../supabase/functions/_shared/deadlines.ts";
import type { AnyCommand } from "../../supabase/functions/_shared/command.ts";
import { asGatewayError, internalDetail } from "../../supabase/functions/_shared/errors.ts";
import type { RequestRecord } from "../../supabase/functions/_shared/log.ts";
import type { Outcome } from "../../supabase/functions/_shared/pipeline.ts";
import { GatewayError } from "../../supabase/functions/_shared/errors.ts";
import { INVALID_ACTION_TEXT } from "../../supabase/functions/_shared/actions.ts";
import {
  type ActionRowComponent,
  BUTTON_STYLE,
  deferredResponse,
  discordParts,
  EPHEMERAL,
  type InteractionResponse,
  type MessageBody,
  messageResponse,
  ResponseType,
} from "./format.ts";
import { chatAccount, type Interaction, optionArgs } from "./interaction.ts";
import { editOriginal, sendFollowUps, type WebhookTarget } from "./webhook.ts";
import type { ActionCodec } from "../../supabase/functions/_shared/action_tokens.ts";
import type { BotScope } from "../../supabase/functions/_shared/bot.ts";
import type { DiscordApp } from "../../supabase/functions/_shared/bots.ts";

/** Shown when the database (or another dependency) failed before anything was done. */
export const UNAVAILABLE_TEXT = "The service is unavailable right now; try again in a moment.";
/** Shown when a write may or may not have happened (the database did not answer in time). */
export const UNKNOWN_TEXT = "The service did not answer in time, so this may or may not have " +
  "been done. Check before you send it again.";
/** Edited into a deferred reply whose command failed for a reason the caller cannot fix. */
export const FAILED_TEXT = "Something went wrong; try again.";
const BUSY_TEXT = "This command is already being handled.";

/** One Discord application as its interactions see it: settings, commands, button key. */
export interface DiscordBot {
  app: DiscordApp;
  scope: BotScope;
  actions: ActionCodec;
}

/** The application's command for a slash-command name, if it offers one. */
export function discordCommand(bot: DiscordBot, name: unknown): AnyCommand | undefined {
  return typeof name === "string" ? bot.scope.commands.find((c) => c.name === name) : undefined;
}

/** What the gateway answers to an interaction, and the follow-ups of a long reply. */
interface Rendered {
  response: InteractionResponse;
  followUps: MessageBody[];
}

/** The response to a slash command; never throws for a failure the user should hear about. */
export function answerCommand(
  core: Core,
  bot: DiscordBot,
  interaction: Interaction,
  deadline: number,
  record: RequestRecord,
): Promise<InteractionResponse> {
  const name = interaction.data?.name;
  return answer(core, bot, interaction, deadline, record, {
    command: typeof name === "string" ? name : "",
    args: optionArgs(interaction.data?.options),
  }, "none");
}

/**
 * The response to a pressed button (MESSAGE_COMPONENT): the button's call, once its custom_id
 * verifies, runs as the presser. A reply that replaces the message updates it (type 7); other
 * replies and errors answer privately (type 4, ephemeral).
 */
export function answerPress(
  core: Core,
  bot: DiscordBot,
  interaction: Interaction,
  deadline: number,
  record: RequestRecord,
): Promise<InteractionResponse> {
  record.pressed = true;
  const call = bot.actions.decode(interaction.data?.custom_id);
  if (!call) {
    record.error_code = "invalid_action";
    return Promise.resolve(messageResponse(INVALID_ACTION_TEXT, true));
  }
  // Only the one the message was for (or anyone, on a private message) may have it replaced.
  const message = interaction.message;
  const presser = chatAccount(interaction).externalId;
  const owner = message?.interaction_metadata?.user?.id ?? message?.interaction?.user?.id;
  const own = ((message?.flags ?? 0) & EPHEMERAL) !== 0 || owner === undefined || owner === presser;
  return answer(core, bot, interaction, deadline, record, call, own ? "replace" : "private");
}

async function answer(
  core: Core,
  bot: DiscordBot,
  interaction: Interaction,
  deadline: number,
  record: RequestRecord,
  call: {
    command: string;
    args: Record<string, unknown> | GatewayError;
    then?: { command: string; args: Record<string, unknown> };
  },
  pressed: "none" | "replace" | "private",
): Promise<InteractionResponse> {
  // A press on someone else's message is answered privately, never by overwriting theirs.
  const ephemeral = pressed === "private" || !discordCommand(bot, call.command)?.publicReply;
  let rendered: Rendered | undefined;
  const work = core.pipeline<Rendered>({
    channel: "discord",
    bot: bot.scope,
    caller: { kind: "chat", account: chatAccount(interaction) },
    command: call.command,
    args: call.args,
    ...(call.then ? { then: call.then } : {}),
    id: `dc:${bot.app.applicationId}:${interaction.id}`,
    // Rendered here and kept for a replay.
    deliver: (outcome) => {
      rendered = render(bot, outcome, ephemeral, pressed === "replace");
      return Promise.resolve();
    },
    stored: () => rendered!,
    record,
  });
  const settled = work.then(
    (result): Rendered => result.replayed ? { ...result.stored, followUps: [] } : rendered!,
    (err): Rendered => ({ response: failureResponse(core, err, record), followUps: [] }),
  );
  const target = {
    apiBase: bot.app.apiBase,
    applicationId: interaction.application_id,
    token: interaction.token,
  };
  const finished = await within(settled, deadline - performance.now());
  if (finished) {
    const { followUps } = finished.value;
    if (followUps.length) core.background(sendFollowUps(core, target, followUps));
    return finished.value.response;
  }
  record.deferred = true;
  core.background(finishDeferred(core, target, settled, pressed !== "none"));
  return pressed !== "none"
    ? { type: ResponseType.DEFERRED_UPDATE_MESSAGE }
    : deferredResponse(ephemeral);
}

/** The interaction response for an outcome: the reply with its buttons, or a private error. */
function render(
  bot: DiscordBot,
  outcome: Outcome,
  ephemeral: boolean,
  pressed: boolean,
): Rendered {
  if (!outcome.ok) {
    return { response: messageResponse(outcome.error.message, true), followUps: [] };
  }
  const [first, ...rest] = discordParts(outcome.reply.text);
  const rows = outcome.reply.actions ?? [];
  const components: ActionRowComponent[] = rows.map((row) => ({
    type: 1 as const,
    components: row.map((a) => ({
      type: 2 as const,
      style: BUTTON_STYLE[a.style ?? "secondary"],
      label: a.label,
      custom_id: bot.actions.encode(a),
    })),
  }));
  const body: MessageBody = {
    content: first,
    allowed_mentions: { parse: [] },
    ...(components.length ? { components } : {}),
  };
  const flags = ephemeral ? { flags: EPHEMERAL } : {};
  const followUps = rest.map((content): MessageBody => ({
    content,
    allowed_mentions: { parse: [] },
    ...flags,
  }));
  if (pressed && outcome.reply.replaces) {
    return { response: { type: ResponseType.UPDATE_MESSAGE, data: { ...body } }, followUps };
  }
  return {
    response: { type: ResponseType.CHANNEL_MESSAGE_WITH_SOURCE, data: { ...body, ...flags } },
    followUps,
  };
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

/**
 * Waits for the deferred delivery and edits its reply into the original message (for a press,
 * the message the button is on). A pressed button whose answer is a new, private message gets
 * it as a follow-up instead.
 */
async function finishDeferred(
  core: Core,
  target: WebhookTarget,
  settled: Promise<Rendered>,
  pressed: boolean,
): Promise<void> {
  const { response, followUps } = await settled;
  const data = (response.data ?? {}) as Partial<MessageBody>;
  const content = String(data.content ?? FAILED_TEXT);
  if (pressed && response.type !== ResponseType.UPDATE_MESSAGE) {
    await sendFollowUps(core, target, [{ ...data, content } as MessageBody, ...followUps]);
    return;
  }
  // The message's visibility was fixed by the deferred response; an edit cannot change it.
  const { flags: _fixed, ...body } = { ...data, content } as MessageBody;
  await editOriginal(core, target, body);
  await sendFollowUps(core, target, followUps);
}

/** The promise's value if it settles within `ms`; undefined once the budget is spent. */
async function within<T>(promise: Promise<T>, ms: number): Promise<{ value: T } | undefined> {
  let cancel = () => {};
  // A coarse deadline (at most a tick late, well inside Discord's spare second): a timer per
  // interaction would cost a Node timer.
  const budget = new Promise<undefined>((resolve) => {
    cancel = deadlines.after(Math.max(0, ms), () => resolve(undefined));
  });
  try {
    return await Promise.race([promise.then((value) => ({ value })), budget]);
  } finally {
    cancel();
  }
}
