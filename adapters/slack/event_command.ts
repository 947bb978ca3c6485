/**
 * A mention ("@Acme tasks 2") or a direct message ("tasks 2", "add Buy milk"), translated for the
 * pipeline as a slash command is: the first word names the app's command, the rest is read as its
 * arguments (`commandArgs`, the same usage sentences), the caller is `<team id>:<user id>`. In a
 * conversation people write the name alone (`tasks`), so neither the slash nor the app's command
 * prefix is needed, though both are understood (`/acme-tasks`). The delivery is keyed by the
 * message (`sl:<app>:msg:<channel>:<ts>`), the same on every retry of the event and whichever
 * event carries it, so a retry runs nothing twice and answers nothing twice. Slack reads nothing
 * from the HTTP answer but its status: the work is awaited within the deferral budget, then
 * acknowledged (200) and finished in the background (`core.background`: `EdgeRuntime.waitUntil`
 * on Supabase), the answer posted by the bot (event_reply.ts says where). A delivery the pipeline
 * could not do (database unavailable, or a claim another instance holds), known within the
 * budget, is a 503, as Telegram's webhook answers it: Slack sends the event again (1 and 5 minutes
 * later) and the person hears nothing until it is done; on Slack's last try, or once
 * acknowledged, they are told it was not done instead.
 */
import { TtlCache } from "../../supabase/functions/_shared/cache.ts";
import type { AnyCommand } from "../../supabase/functions/_shared/command.ts";
import type { Core } from "../../supabase/functions/_shared/core.ts";
import { asGatewayError, GatewayError } from "../../supabase/functions/_shared/errors.ts";
import type { RequestRecord } from "../../supabase/functions/_shared/log.ts";
import { type Outcome, retryable } from "../../supabase/functions/_shared/pipeline.ts";
import { commandWord } from "../../supabase/functions/_shared/wording.ts";
import { within } from "../../supabase/functions/_shared/within.ts";
import { commandArgs, slackCommand } from "./command.ts";
import type { SlackEventMessage } from "./event.ts";
import { postEventReply } from "./event_reply.ts";
import type { SlackMessage } from "./format.ts";
import { deliveryId, failureMessage, renderOutcome, type SlackBot } from "./outcome.ts";

const ack = () => new Response(null, { status: 200 });
/** Slack tries an event four times in all (`X-Slack-Retry-Num` 1 to 3 on the retries). */
const LAST_RETRY = 3;

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

/** How long an event answered here is remembered: Slack's retries come within 5 minutes. */
const REMEMBERED_MS = 10 * 60_000;

/** The events one app answered in this process (see {@link answerEvent}). */
export type AnsweredEvents = TtlCache<string, true>;

/** A fresh memory of answered messages, one per app. */
export const answeredEvents = (): AnsweredEvents => new TtlCache({ maxEntries: 10_000 });

/**
 * Answers an event: acknowledged within the budget, the outcome posted by the bot. The delivery
 * is the message (its channel and ts), not the event: a retry, or the same message delivered as
 * another event, is the same delivery. An event this process already took (Slack's retry) is
 * acknowledged at once and answered nothing more (`answered`): a refusal or a read, which the
 * ledger does not keep, is then not posted twice either.
 */
export async function answerEvent(
  core: Core,
  bot: SlackBot,
  event: SlackEventMessage,
  deadline: number,
  record: RequestRecord,
  { retry = 0, answered }: { retry?: number; answered: AnsweredEvents },
): Promise<Response> {
  record.slack_event = event.where;
  const id = deliveryId(bot, {
    apiAppId: event.apiAppId,
    triggerId: `msg:${event.channel}:${event.ts}`,
  });
  // A retry is the same event; an edit of the message is a new one, and runs (a write it repeats
  // is replayed from the ledger, silently).
  const seen = `${bot.app.name}:${event.eventId}`;
  if (answered.get(seen)) {
    record.slack_ignored = "repeat";
    return ack();
  }
  answered.set(seen, true, core.now() + REMEMBERED_MS);
  const [, word = "", rest = ""] = /^(\S*)\s*([\s\S]*)$/.exec(event.text) ?? [];
  const command = eventCommand(bot, word);
  const owner = event.account.externalId.split(":")[1];
  const render = (outcome: Outcome) => {
    const hinted = !outcome.ok && outcome.error.code === "unknown_command"
      ? { ...outcome, error: new GatewayError(404, "unknown_command", eventHint(bot, event.where)) }
      : outcome;
    return renderOutcome(bot, hinted, owner, command?.publicReply === true);
  };
  let rendered: SlackMessage | null = null;
  const work = core.pipeline<true>({
    channel: "slack",
    bot: bot.scope,
    caller: { kind: "chat", account: event.account },
    command: command?.name ?? word,
    args: command ? commandArgs(command, rest) : {},
    id,
    deliver: (outcome) => {
      rendered = render(outcome);
      return Promise.resolve();
    },
    // A repeat of the message (Slack's retry) posts nothing: the first run answers.
    stored: () => true,
    record,
  });
  // The pipeline's own verdict first: a failure a retry can fix, known within the budget, is a
  // 503 so that Slack delivers the event again (its claim was released; the message's key keeps
  // a write from landing twice), unless this was Slack's last try. That includes a claim another
  // instance holds: it may have died with it, and a retry after its lease runs the command.
  const settled = work.then(
    (result) => ({ message: result.replayed ? null : rendered }),
    (err: unknown) => ({ err }),
  );
  const early = await within(settled, deadline - performance.now());
  if (early && "err" in early.value) {
    const error = asGatewayError(early.value.err);
    // A fault of ours ("internal") would meet every retry again: told at once instead.
    if (retryable(error) && error.code !== "internal" && retry < LAST_RETRY) {
      answered.delete(seen);
      record.error_code = error.code;
      throw new GatewayError(503, error.code, "Not done; Slack will send the event again.");
    }
  }
  const done = settled.then((s) =>
    "err" in s
      ? postEventReply(core, bot, event, failureMessage(core, s.err, record))
      : s.message
      ? postEventReply(core, bot, event, s.message)
      : undefined
  );
  if (!(await within(done, deadline - performance.now()))) {
    record.deferred = true;
    core.background(done);
  }
  return ack();
}
