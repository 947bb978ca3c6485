/**
 * `deno task simulate slack [--bot NAME] <user> --dm "tasks"` and `… --mention "tasks"`: write to
 * the app as a person does in Slack, in its DM or by mentioning it in a channel (`C0LOCAL`), and
 * get the Events API callback Slack sends for it. The message is written in the stack's Slack
 * sink first (`POST /__sinks/slack/messages`: Slack knows the conversation before it delivers the
 * event), then the `event_callback` (a `message` with `channel_type: "im"`, or an `app_mention`
 * starting with the bot's `<@U…>`) is posted as JSON, signed with the app's signing secret. The
 * answer is what the bot posts through the sink's Web API (`chat.postMessage`, or
 * `chat.postEphemeral` for the mentioner alone); it is kept as the last message shown, so
 * `--press` works on it. Local development only.
 *
 * @module
 */
import {
  send,
  show,
  type ShownMessage,
  slackCaller,
  type SlackSimulation,
} from "./simulate_slack.ts";

const CHANNEL = "C0LOCAL";
const ANSWERS = new Set(["chat.postMessage", "chat.postEphemeral"]);

interface SinkCall {
  kind: string;
  method: string;
  body: { channel?: string; text?: string; blocks?: unknown[]; thread_ts?: string };
  status: number;
  response: { ok?: boolean; error?: string };
}

/** Writes `text` as `who` (in the app's DM, or mentioning it in a channel); prints the answer. */
export async function simulateSlackEvent(
  sim: SlackSimulation,
  who: string,
  where: "dm" | "mention",
  text: string,
) {
  if (where === "dm" && !text.trim()) {
    // Slack's own rule: an empty message is nothing to answer (the gateway ignores it too).
    throw new Error('--dm needs the text to write, e.g. --dm "tasks"');
  }
  const caller = slackCaller(who)!;
  const markup = where === "mention" ? `<@${sim.botUser ?? "U0LOCALBOT"}> ${text}` : text;
  const written = await fetch(`${sim.front}/__sinks/slack/messages`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      ...caller,
      text: markup,
      ...(where === "mention" ? { channel: CHANNEL } : {}),
    }),
  }).then((r) => r.json()) as { channel: string; ts: string };
  const before = (await calls(sim)).length;
  const eventId = `Ev${crypto.randomUUID().replaceAll("-", "").slice(0, 10).toUpperCase()}`;
  const event = {
    token: "local",
    team_id: caller.team,
    api_app_id: "A0LOCAL",
    event: {
      type: where === "mention" ? "app_mention" : "message",
      user: caller.user,
      text: markup,
      ts: written.ts,
      team: caller.team,
      channel: written.channel,
      event_ts: written.ts,
      ...(where === "dm" ? { channel_type: "im" } : {}),
    },
    type: "event_callback",
    event_id: eventId,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [{ team_id: caller.team, user_id: sim.botUser, is_bot: true }],
  };
  const res = await send(sim, JSON.stringify(event), "application/json");
  const answer = await res.text();
  (sim.info ?? console.error)(`slack endpoint answered ${res.status}${answer ? "" : " (empty)"}`);
  if (res.status !== 200) return (sim.print ?? console.log)(answer);
  const call = await waitForAnswer(sim, before, written.channel);
  if (!call.response.ok) {
    return (sim.print ?? console.log)(`Slack refused the answer: ${call.response.error}`);
  }
  const ephemeral = call.method === "chat.postEphemeral";
  if (call.body.thread_ts) (sim.info ?? console.error)("(in the thread of your message)");
  const message: ShownMessage = {
    text: call.body.text ?? "",
    ...(call.body.blocks ? { blocks: call.body.blocks as ShownMessage["blocks"] } : {}),
    response_type: ephemeral ? "ephemeral" : "in_channel",
  };
  await show(sim, caller, message);
}

function calls(sim: SlackSimulation): Promise<SinkCall[]> {
  return fetch(`${sim.front}/__sinks/slack/calls`).then((r) => r.json());
}

/** The bot's first answer in `channel` after call number `from` (30 s at most). */
async function waitForAnswer(sim: SlackSimulation, from: number, channel: string) {
  const until = Date.now() + 30_000;
  for (;;) {
    const found = (await calls(sim)).slice(from).find((c) =>
      c.kind === "api" && ANSWERS.has(c.method) && c.body?.channel === channel
    );
    if (found) return found;
    if (Date.now() > until) throw new Error("the bot answered nothing in 30 s");
    await new Promise((r) => setTimeout(r, 100));
  }
}
