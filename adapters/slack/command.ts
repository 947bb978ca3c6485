/**
 * Slash commands, translated for the pipeline: `/<prefix><name>` names the registry command, its
 * text the arguments (read as on Telegram), the caller is `<team id>:<user id>`, the delivery id
 * the trigger id. Slack waits three seconds: a delivery done within the budget is the response
 * itself; one still running is acknowledged at once with an empty 200 and finished in the
 * background, its answer posted to the `response_url`. Private (ephemeral) unless the command
 * replies publicly.
 */
import type { AnyCommand } from "../../supabase/functions/_shared/command.ts";
import type { Core } from "../../supabase/functions/_shared/core.ts";
import { GatewayError } from "../../supabase/functions/_shared/errors.ts";
import { json } from "../../supabase/functions/_shared/http.ts";
import type { RequestRecord } from "../../supabase/functions/_shared/log.ts";
import { textArgs } from "../../supabase/functions/_shared/text_args.ts";
import { within } from "../../supabase/functions/_shared/within.ts";
import type { SlackMessage } from "./format.ts";
import { deliveryId, failureMessage, renderOutcome, type SlackBot } from "./outcome.ts";
import type { SlashCommand } from "./request.ts";
import { postResponse } from "./respond.ts";

/** The app's command for a slash command as typed (`/acme-tasks`), if it offers one. */
export function slackCommand(bot: SlackBot, typed: string): AnyCommand | undefined {
  const word = typed.replace(/^\//, "");
  const prefix = bot.app.commandPrefix;
  if (!word.startsWith(prefix)) return undefined;
  const name = word.slice(prefix.length);
  return bot.scope.commands.find((c) => c.name === name);
}

/**
 * The arguments of `command` from the text after its word, read as on Telegram; words left over
 * are a usage error the pipeline reports with the command's usage. Shared with mentions and
 * direct messages (event_command.ts).
 */
export function commandArgs(
  command: AnyCommand,
  text: string,
): Record<string, unknown> | GatewayError {
  const read = textArgs(command, text);
  return read.extra ? new GatewayError(400, "invalid_args", "Too many words.") : read.args;
}

/** The response to a slash command; never throws for a failure the user should hear about. */
export async function answerCommand(
  core: Core,
  bot: SlackBot,
  request: SlashCommand,
  deadline: number,
  record: RequestRecord,
): Promise<Response> {
  const command = slackCommand(bot, request.command);
  const args = command ? commandArgs(command, request.text) : {};
  const publicly = command?.publicReply === true;
  const owner = request.account.externalId.split(":")[1];
  let rendered: SlackMessage | null = null;
  const work = core.pipeline<SlackMessage | null>({
    channel: "slack",
    bot: bot.scope,
    caller: { kind: "chat", account: request.account },
    // Unknown to this app (as typed, with its slash, so it names no registry command): the
    // pipeline answers with how to see what is, and nothing runs.
    command: command?.name ?? request.command,
    args,
    id: deliveryId(bot, request),
    // Rendered here and kept for a replay (a repeat of this trigger answers the same).
    deliver: (outcome) => {
      rendered = renderOutcome(bot, outcome, owner, publicly);
      return Promise.resolve();
    },
    stored: () => rendered,
    record,
  });
  const settled = work.then(
    (result) => (result.replayed ? result.stored : rendered),
    (err) => failureMessage(core, err, record),
  );
  const finished = await within(settled, deadline - performance.now());
  if (finished) return finished.value ? json(finished.value) : new Response(null, { status: 200 });
  record.deferred = true;
  core.background(settled.then((message) => {
    if (message) return postResponse(core, request.responseUrl, message);
  }));
  // An empty 200: Slack shows nothing until the answer is posted to the response_url.
  return new Response(null, { status: 200 });
}
