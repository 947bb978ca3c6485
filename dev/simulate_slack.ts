/**
 * `deno task simulate slack [--bot NAME] <user> "/tasks"` and `… --press "<label>"`: talk to the
 * running local stack as Slack would. A slash command is form-encoded and signed with the app's
 * local signing secret (v0 HMAC), with a response URL registered in the stack's Slack sink as
 * Slack makes one per command; the answer is the HTTP response, or, past the acknowledgement,
 * what arrives at the response URL. A press sends `block_actions` for a button of the last message
 * this user was shown (kept in the state folder), with a response URL whose original message is
 * that one, and shows what was posted: the message replaced, or a new private one. The user is
 * `U…` (in the local workspace) or `T…:U…`. Local development only.
 *
 * @module
 */
import { slackSignature } from "../adapters/slack/verify.ts";
import { escapeSlack, type SlackMessage } from "../adapters/slack/format.ts";
import { unescapeSlack } from "../adapters/slack/request.ts";
import { LOCAL_SLACK_TEAM } from "./channel_secrets.ts";

/** What the simulator needs of the chosen app and the stack. */
export interface SlackSimulation {
  /** The front door, e.g. `http://127.0.0.1:54321`. */
  front: string;
  /** The app's route suffix (`""` or `/staging`) and signing secret. */
  route: string;
  signingSecret: string;
  /** Where the last message shown to each user is kept. */
  stateDir: string;
  /** The app's bot user in the local workspace (what a mention names). */
  botUser?: string;
  print?: (line: string) => void;
  info?: (line: string) => void;
}

const USER = /^(?:([TE][A-Z0-9]{2,20}):)?([UW][A-Z0-9]{2,20})$/;
const CHANNEL = "C0LOCAL";

/** The Slack caller a command line names, or undefined when it is not a Slack user id. */
export function slackCaller(given: string): { team: string; user: string } | undefined {
  const m = USER.exec(given);
  return m ? { team: m[1] ?? LOCAL_SLACK_TEAM, user: m[2] } : undefined;
}

/** Sends a slash command line (`/tasks`, `/add Buy milk`) and prints the answer. */
export async function simulateSlackCommand(sim: SlackSimulation, who: string, line: string) {
  const caller = slackCaller(who)!;
  const [word] = line.trim().split(/\s+/);
  const command = word.startsWith("/") ? word : `/${word}`;
  const responseUrl = await registerResponseUrl(sim, caller, "commands");
  const body = new URLSearchParams({
    team_id: caller.team,
    team_domain: "local",
    channel_id: CHANNEL,
    channel_name: "local",
    user_id: caller.user,
    user_name: `local-${caller.user.toLowerCase()}`,
    command,
    text: escapeSlack(line.trim().slice(word.length).trim()),
    api_app_id: "A0LOCAL",
    response_url: responseUrl,
    trigger_id: triggerId(),
  }).toString();
  const res = await send(sim, body);
  const text = await res.text();
  (sim.info ?? console.error)(`slack endpoint answered ${res.status}${text ? "" : " (empty)"}`);
  if (res.status !== 200) return (sim.print ?? console.log)(text);
  const message: SlackMessage | undefined = text
    ? JSON.parse(text)
    : (await waitForResponse(sim, responseUrl)).posted[0];
  if (message) await show(sim, caller, message);
}

/** Presses the button labelled `label` of the last message `who` was shown. */
export async function simulateSlackPress(sim: SlackSimulation, who: string, label: string) {
  const caller = slackCaller(who)!;
  const last = await Deno.readTextFile(lastFile(sim, caller))
    .then((t) => JSON.parse(t) as SlackMessage, () => undefined);
  const blocks = (last?.blocks ?? []) as {
    type: string;
    block_id?: string;
    elements?: { text: { text: string }; value: string; action_id: string }[];
  }[];
  const block = blocks.find((b) => b.elements?.some((e) => e.text.text === label));
  const button = block?.elements?.find((e) => e.text.text === label);
  if (!last || !block || !button) {
    throw new Error(`no button "${label}" in the last message shown to ${who}`);
  }
  const ephemeral = last.response_type !== "in_channel";
  const responseUrl = await registerResponseUrl(sim, caller, "actions", { ...last, ephemeral });
  const payload = {
    type: "block_actions",
    user: { id: caller.user, username: "local", name: "local", team_id: caller.team },
    api_app_id: "A0LOCAL",
    container: { type: "message", message_ts: "1.1", channel_id: CHANNEL, is_ephemeral: ephemeral },
    trigger_id: triggerId(),
    team: { id: caller.team, domain: "local" },
    channel: { id: CHANNEL, name: "local" },
    response_url: responseUrl,
    actions: [{
      type: "button",
      action_id: button.action_id,
      block_id: block.block_id,
      text: { type: "plain_text", text: label },
      value: button.value,
      action_ts: `${Date.now() / 1000}`,
    }],
  };
  const res = await send(sim, `payload=${encodeURIComponent(JSON.stringify(payload))}`);
  await res.body?.cancel();
  (sim.info ?? console.error)(`slack endpoint answered ${res.status}`);
  const state = await waitForResponse(sim, responseUrl);
  if (state.posted.length) return await show(sim, caller, state.posted[0]);
  (sim.info ?? console.error)("(message replaced)");
  await show(sim, caller, {
    ...state.original!,
    response_type: ephemeral ? "ephemeral" : "in_channel",
  });
}

type ResponseState = { uses: number; posted: ShownMessage[]; original: ShownMessage | null };
/** A message as the simulator shows it (and keeps it, for --press). */
export type ShownMessage = SlackMessage & { ephemeral?: boolean };

async function registerResponseUrl(
  sim: SlackSimulation,
  caller: { team: string; user: string },
  kind: "commands" | "actions",
  original?: ShownMessage,
): Promise<string> {
  const res = await fetch(`${sim.front}/__sinks/slack/response_urls`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ ...caller, channel: CHANNEL, kind, ...(original ? { original } : {}) }),
  });
  return ((await res.json()) as { url: string }).url;
}

/** Posts a body to the app's route, signed as Slack signs it. */
export function send(
  sim: SlackSimulation,
  body: string,
  contentType = "application/x-www-form-urlencoded",
): Promise<Response> {
  const timestamp = String(Math.floor(Date.now() / 1000));
  return fetch(`${sim.front}/functions/v1/gateway/slack${sim.route}`, {
    method: "POST",
    headers: {
      "content-type": contentType,
      "x-slack-request-timestamp": timestamp,
      "x-slack-signature": slackSignature(sim.signingSecret, timestamp, body),
    },
    body,
  });
}

/** The response URL's state once something was posted to it (Slack's 30 s are plenty here). */
async function waitForResponse(sim: SlackSimulation, url: string): Promise<ResponseState> {
  const until = Date.now() + 30_000;
  for (;;) {
    const res = await fetch(`${sim.front}/__sinks/slack/responses?url=${encodeURIComponent(url)}`);
    const state = await res.json() as ResponseState;
    if (state.uses > 0) return state;
    if (Date.now() > until) throw new Error("nothing was posted to the response URL in 30 s");
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Prints a message as Slack shows it, and keeps it as the last one this user saw. */
export async function show(sim: SlackSimulation, caller: { user: string }, message: ShownMessage) {
  const print = sim.print ?? console.log;
  const blocks = (message.blocks ?? []) as {
    type: string;
    text?: { text: string };
    elements?: { text: { text: string } }[];
  }[];
  const sections = blocks.filter((b) => b.type === "section").map((b) => b.text!.text);
  print(sections.length ? sections.join("\n") : unescapeSlack(message.text ?? ""));
  for (const b of blocks.filter((b) => b.type === "actions")) {
    print(b.elements!.map((e) => `[${e.text.text}]`).join(" "));
  }
  const ephemeral = message.response_type
    ? message.response_type !== "in_channel"
    : message.ephemeral;
  if (ephemeral !== false) (sim.info ?? console.error)("(only you can see this)");
  const kept = { ...message, response_type: ephemeral === false ? "in_channel" : "ephemeral" };
  await Deno.writeTextFile(lastFile(sim, caller), JSON.stringify(kept));
}

function lastFile(sim: SlackSimulation, caller: { user: string }): string {
  return `${sim.stateDir}/simulate-slack${sim.route.replace("/", "-")}-${caller.user}.json`;
}

function triggerId(): string {
  return `${Date.now()}.${Math.floor(Math.random() * 1e9)}.${crypto.randomUUID().slice(0, 8)}`;
}
