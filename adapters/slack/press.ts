/**
 * A pressed button (`block_actions`), translated for the pipeline: the button's value, once it
 * verifies with the app's key, is the call, run as the presser, keyed by the trigger id. Slack
 * reads nothing from the HTTP answer to a press: the outcome is posted to the press's
 * `response_url`. A reply that replaces the message replaces it (`replace_original`) only when the
 * message is the presser's (ephemeral, or made for them); otherwise, and for every refusal, the
 * presser gets a private message, so one member never overwrites what another was shown. A value
 * that does not verify (changed, or another app's) runs nothing.
 */
import { INVALID_ACTION_TEXT } from "../../supabase/functions/_shared/actions.ts";
import type { Core } from "../../supabase/functions/_shared/core.ts";
import type { RequestRecord } from "../../supabase/functions/_shared/log.ts";
import type { Outcome } from "../../supabase/functions/_shared/pipeline.ts";
import { within } from "../../supabase/functions/_shared/within.ts";
import { blockOwner, type SlackMessage, slackMessage } from "./format.ts";
import { deliveryId, failureMessage, renderOutcome, type SlackBot } from "./outcome.ts";
import type { ButtonPress } from "./request.ts";
import { postResponse } from "./respond.ts";

const ack = () => new Response(null, { status: 200 });

/** Answers a press: the outcome goes to its response_url (awaited within the budget). */
export async function answerPress(
  core: Core,
  bot: SlackBot,
  press: ButtonPress,
  deadline: number,
  record: RequestRecord,
): Promise<Response> {
  record.pressed = true;
  const post = (message: SlackMessage) => postResponse(core, press.responseUrl, message);
  const call = bot.actions.decode(press.value);
  if (!call) {
    record.error_code = "invalid_action";
    const told = post(privately(slackMessage(INVALID_ACTION_TEXT)));
    if (!(await within(told, deadline - performance.now()))) core.background(told);
    return ack();
  }
  const presser = press.account.externalId.split(":")[1];
  // Ephemeral messages are only ever the presser's; others say whom they were made for.
  const own = press.ephemeral || blockOwner(press.blockId) === presser;
  let rendered: SlackMessage | null = null;
  const render = (outcome: Outcome): SlackMessage | null => {
    const message = renderOutcome(bot, outcome, presser, false);
    if (!message) return null;
    if (outcome.ok && outcome.reply.replaces && own) {
      const { response_type: _type, ...rest } = message;
      return { ...rest, replace_original: true };
    }
    return privately(message);
  };
  const work = core.pipeline<SlackMessage | null>({
    channel: "slack",
    bot: bot.scope,
    caller: { kind: "chat", account: press.account },
    command: call.command,
    args: call.args,
    ...(call.then ? { then: call.then } : {}),
    id: deliveryId(bot, press),
    deliver: (outcome) => {
      rendered = render(outcome);
      return Promise.resolve();
    },
    stored: () => rendered,
    record,
  });
  const done = work.then(
    // A repeat of a press already answered posts nothing more.
    (result) => (result.replayed || !rendered ? undefined : post(rendered)),
    (err) => post(privately(failureMessage(core, err, record))),
  );
  if (!(await within(done, deadline - performance.now()))) {
    record.deferred = true;
    core.background(done);
  }
  return ack();
}

/** A new message only the presser sees, leaving the pressed one as it was. */
function privately(message: SlackMessage): SlackMessage {
  return { ...message, response_type: "ephemeral", replace_original: false };
}
