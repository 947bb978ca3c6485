/**
 * A mention ("@Acme tasks 2") or a direct message ("tasks 2", "add Buy milk"), translated for the
 * pipeline as a slash command is: the first word names the app's command, the rest is read as its
 * arguments (`commandArgs`, the same usage sentences), the caller is `<team id>:<user id>`. In a
 * conversation people write the name alone (`tasks`), so neither the slash nor the app's command
 * prefix is needed, though both are understood (`/acme-tasks`). The delivery is keyed by the
 * event id (`sl:<app>:ev:<event_id>`), the same on every retry of the event, so a retry runs
 * nothing twice and answers nothing twice. Slack reads nothing from the HTTP answer: the work is
 * awaited within the deferral budget, then acknowledged (200) and finished in the background
 * (`core.background`: `EdgeRuntime.waitUntil` on Supabase), the answer posted by the bot
 * (event_reply.ts says where).
 */
import type { AnyCommand } from "../../supabase/functions/_shared/command.ts";
import type { Core } from "../../supabase/functions/_shared/core.ts";
import { asGatewayError, GatewayError } from "../../supabase/functions/_shared/errors.ts";
import type { RequestRecord } from "../../supabase/functions/_shared/log.ts";
import type { Outcome } from "../../supabase/functions/_shared/pipeline.ts";
import { commandWord } from "../../supabase/functions/_shared/wording.ts";
import { within } from "../../supabase/functions/_shared/within.ts";
import { commandArgs, slackCommand } from "./command.ts";
import type { SlackEventMessage } from "./event.ts";
import { postEventReply } from "./event_reply.ts";
import type { SlackMessage } from "./format.ts";
import { deliveryId, failureMessage, renderOutcome, type SlackBot } from "./outcome.ts";

const ack = () => new Response(null, { status: 200 });

/** The app's command for a word typed in a conversation: `tasks`, `/tasks`, `acme-tasks`. */
export function eventCommand(bot: SlackBot, word: string): AnyCommand | undefined {
  const name = word.replace(/^\//, "").toLowerCase();
  return bot.scope.commands.find((c) => c.name === name) ?? slackCommand(bot, name);
}

/**
 * What a word the app does not know gets, in the conversation's terms: in a DM, `help` (the slash
 * command works there too); in a channel, a mention with `help`.
 */
export function eventHint(bot: SlackBot, where: SlackEventMessage["where"]): string {
  const slash = `/${commandWord("help", "slack", bot.app.commandPrefix)}`;
  return where === "dm"
    ? `Unknown command. Send help (or ${slash}) to see what I can do.`
    : `Unknown command. Mention me with help (or send ${slash}) to see what I can do.`;
}

/** Answers an event: acknowledged within the budget, the outcome posted by the bot. */
export async function answerEvent(
  core: Core,
  bot: SlackBot,
  event: SlackEventMessage,
  deadline: number,
  record: RequestRecord,
): Promise<Response> {
  record.slack_event = event.where;
  const [, word = "", rest = ""] = /^(\S*)\s*([\s\S]*)$/.exec(event.text) ?? [];
  const command = eventCommand(bot, word);
  const owner = event.account.externalId.split(":")[1];
  let rendered: SlackMessage | null = null;
  const render = (outcome: Outcome) => {
    const hinted = !outcome.ok && outcome.error.code === "unknown_command"
      ? { ...outcome, error: new GatewayError(404, "unknown_command", eventHint(bot, event.where)) }
      : outcome;
    return renderOutcome(bot, hinted, owner, command?.publicReply === true);
  };
  const work = core.pipeline<true>({
    channel: "slack",
    bot: bot.scope,
    caller: { kind: "chat", account: event.account },
    command: command?.name ?? word,
    args: command ? commandArgs(command, rest) : {},
    id: deliveryId(bot, { apiAppId: event.apiAppId, triggerId: `ev:${event.eventId}` }),
    deliver: (outcome) => {
      rendered = render(outcome);
      return Promise.resolve();
    },
    // A repeat of the event (Slack's retry) posts nothing: the first run answers.
    stored: () => true,
    record,
  });
  const done = work.then(
    (result) =>
      result.replayed || !rendered ? undefined : postEventReply(core, bot, event, rendered),
    (err) => {
      // Still running here or on another instance: that run answers; a second answer is noise.
      if (asGatewayError(err).code === "idempotency_in_progress") {
        record.error_code = "idempotency_in_progress";
        return;
      }
      return postEventReply(core, bot, event, failureMessage(core, err, record));
    },
  );
  if (!(await within(done, deadline - performance.now()))) {
    record.deferred = true;
    core.background(done);
  }
  return ack();
}
