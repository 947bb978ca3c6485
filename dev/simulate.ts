/**
 * `deno task simulate telegram <user id> "<text>"`,
 * `deno task simulate discord <user id> [/]<command> [option:value ...]` and
 * `deno task simulate slack <user> "/<command> <text>"` (or `--dm "<text>"`, `--mention "<text>"`:
 * the Events API, `simulate_slack_event.ts`): talk to the running local stack as
 * Telegram, Discord or Slack would (the right webhook secret; an Ed25519 signature made with the
 * local application key; a v0 signature with the Slack app's signing secret, see
 * `simulate_slack.ts`) and print what the bot answered. Discord options are written as in
 * Discord's client (`code:ABC`, `title:Buy milk`; `name=value` works too) and typed from the
 * registry, as Discord types them from the registered commands. `--press "<label>"` presses a
 * button of the last reply (Telegram: from the sink; Discord: the last answer with buttons, kept
 * in the state folder). `--bot NAME` talks to another bot of the stack than `default` (its route,
 * its secret or key; only its replies are shown). Local development only.
 */
import { unescapeHtml } from "../adapters/telegram/format.ts";
import { commands } from "../supabase/functions/gateway/commands/mod.ts";
import { discordCommandLine } from "./simulate_discord.ts";
import { simulateSlackCommand, simulateSlackPress, slackCaller } from "./simulate_slack.ts";
import { simulateSlackEvent } from "./simulate_slack_event.ts";
import { loadOrCreateChannelSecrets, LOCAL_SLACK_BOTS } from "./channel_secrets.ts";
import { stackPortsFromEnv } from "./ports.ts";
import { stackStateDir } from "./paths.ts";
import { runningStack } from "./stack_lock.ts";

const STATE_DIR = stackStateDir();
const USAGE = `usage: deno task simulate telegram <user id> "<text>"
       deno task simulate discord <user id> [/]<command> [option:value ...]
       deno task simulate slack <U… or T…:U…> "/<command> [text]"
       deno task simulate slack <U… or T…:U…> --dm "<text>" | --mention "<text>"
       deno task simulate telegram|discord|slack <user id> --press "<button label>"
       deno task simulate telegram|discord|slack --bot NAME <user id> ...   (another bot than default)`;

const args = [...Deno.args];
const at = args.indexOf("--bot");
const botFlag = at >= 0 && at < 2 ? args.splice(at, 2)[1] : undefined;
const [channel, userId, ...rest] = args;
const validUser = channel === "slack"
  ? slackCaller(userId ?? "") !== undefined
  : /^\d{1,20}$/.test(userId ?? "");
if (!["telegram", "discord", "slack"].includes(channel) || !validUser || !rest.length) {
  console.error(USAGE);
  Deno.exit(2);
}
// The running stack's own record first (it may run on other ports than this shell's variables).
const front = (await runningStack(STATE_DIR))?.url ??
  `http://127.0.0.1:${stackPortsFromEnv().front}`;
const gateway = `${front}/functions/v1/gateway`;
const secrets = await loadOrCreateChannelSecrets(STATE_DIR);
const botName = botFlag ?? "default";
const route = botName === "default" ? "" : `/${botName}`;
/** The chosen bot's local credentials. */
const bot = botName === "default"
  ? {
    telegram: { token: secrets.telegramBotToken, secret: secrets.telegramWebhookSecret },
    discord: {
      applicationId: secrets.discordApplicationId,
      privateKey: secrets.discordPrivateKey,
    },
    slack: { signingSecret: secrets.slackSigningSecret },
  }
  : {
    telegram: secrets.bots.telegram.find((b) => b.name === botName),
    discord: secrets.bots.discord.find((b) => b.name === botName),
    slack: secrets.bots.slack.find((b) => b.name === botName),
  };
const chosen = bot[channel as "telegram" | "discord" | "slack"];
if (botFlag !== undefined && !chosen) {
  const names = [
    "default",
    ...secrets.bots[channel as "telegram" | "discord" | "slack"].map((b) => b.name),
  ];
  console.error(`error: the local stack has no ${channel} bot '${botName}' (${names.join(", ")})`);
  Deno.exit(2);
}

const pressed = rest[0] === "--press" ? rest.slice(1).join(" ") : undefined;
const slack = {
  front,
  route,
  signingSecret: bot.slack?.signingSecret ?? "",
  stateDir: STATE_DIR,
  botUser: LOCAL_SLACK_BOTS[botName]?.userId,
};
const eventFlag = rest[0] === "--dm" || rest[0] === "--mention" ? rest[0] : undefined;
try {
  if (channel === "slack" && eventFlag) {
    const where = eventFlag === "--dm" ? "dm" : "mention";
    await simulateSlackEvent(slack, userId, where, rest.slice(1).join(" "));
  } else if (channel === "slack" && pressed !== undefined) {
    await simulateSlackPress(slack, userId, pressed);
  } else if (channel === "slack") await simulateSlackCommand(slack, userId, rest.join(" "));
  else if (pressed !== undefined && channel === "telegram") await telegramPress(userId, pressed);
  else if (pressed !== undefined) await discordPress(userId, pressed);
  else if (channel === "telegram") await telegram(userId, rest.join(" "));
  else await discord(userId, rest.join(" "));
} catch (err) {
  if (err instanceof TypeError) {
    console.error(
      `error: the local stack at ${front} is not reachable; start it with ./deno task dev`,
    );
  } else console.error(`error: ${(err as Error).message}`);
  Deno.exit(1);
}

async function telegram(fromId: string, text: string) {
  const sent = () =>
    fetch(`${front}/__sinks/telegram/sent?method=sendMessage`).then((r) => r.json()).then((
      calls: TelegramCall[],
    ) => calls.filter((c) => c.token === bot.telegram!.token));
  const before = (await sent()).length;
  const id = Number(fromId);
  const res = await postUpdate({
    message: {
      message_id: Math.floor(Math.random() * 1e6),
      date: Math.floor(Date.now() / 1000),
      chat: { id, type: "private", first_name: "Local" },
      from: { id, is_bot: false, first_name: "Local", username: `local${fromId}` },
      text,
    },
  });
  await res.body?.cancel();
  console.error(`webhook answered ${res.status}`);
  const replies = (await sent()).slice(before).filter((c) => String(c.params.chat_id) === fromId);
  for (const reply of replies) printTelegram(reply.params);
}

/** Posts an update (a fresh update_id added) to the gateway's webhook, as Telegram does. */
function postUpdate(update: Record<string, unknown>): Promise<Response> {
  return fetch(`${gateway}/telegram${route}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-telegram-bot-api-secret-token": bot.telegram!.secret,
    },
    body: JSON.stringify({
      update_id: Math.floor(Date.now() / 1000) * 1000 + Math.floor(Math.random() * 1000),
      ...update,
    }),
  });
}

type TelegramCall = {
  method: string;
  token: string;
  params: Record<string, unknown> & { chat_id: number | string; text?: string };
  response?: { result?: { message_id?: number } };
};
type Keyboard = { inline_keyboard: { text: string; callback_data: string }[][] };

function printTelegram(params: TelegramCall["params"]) {
  console.log(unescapeHtml(String(params.text ?? "")));
  const keyboard = params.reply_markup as Keyboard | undefined;
  for (const row of keyboard?.inline_keyboard ?? []) {
    console.log(row.map((b) => `[${b.text}]`).join(" "));
  }
}

/** Presses a button of the latest message to this chat that has one with that label. */
async function telegramPress(fromId: string, label: string) {
  const calls = () =>
    fetch(`${front}/__sinks/telegram/sent`).then((r) => r.json()).then((all: TelegramCall[]) =>
      all.filter((c) => c.token === bot.telegram!.token)
    );
  const all = await calls();
  const mine = all.filter((c) =>
    String(c.params.chat_id) === fromId &&
    (c.method === "sendMessage" || c.method === "editMessageText")
  );
  const message = mine.reverse().find((c) =>
    (c.params.reply_markup as Keyboard | undefined)?.inline_keyboard.flat()
      .some((b) => b.text === label)
  );
  if (!message) throw new Error(`no button "${label}" in the messages sent to ${fromId}`);
  const button = (message.params.reply_markup as Keyboard).inline_keyboard.flat()
    .find((b) => b.text === label)!;
  const messageId = Number(message.params.message_id ?? message.response?.result?.message_id);
  const id = Number(fromId);
  const queryId = `${Date.now()}${Math.floor(Math.random() * 1e6)}`;
  const res = await postUpdate({
    callback_query: {
      id: queryId,
      from: { id, is_bot: false, first_name: "Local", username: `local${fromId}` },
      chat_instance: "1",
      message: {
        message_id: messageId,
        date: Math.floor(Date.now() / 1000),
        chat: { id, type: "private", first_name: "Local" },
        text: "",
      },
      data: button.callback_data,
    },
  });
  await res.body?.cancel();
  console.error(`webhook answered ${res.status}`);
  for (const call of (await calls()).slice(all.length)) {
    if (call.method === "answerCallbackQuery") {
      if (call.params.text) console.log(`(notice) ${call.params.text}`);
    } else if (String(call.params.chat_id) === fromId) {
      if (call.method === "editMessageText") console.error(`(message ${messageId} edited)`);
      printTelegram(call.params);
    }
  }
}

async function discord(userId: string, line: string) {
  const { name, options } = discordCommandLine(line, commands);
  await discordSend(userId, 2, {
    id: "1",
    name,
    type: 1,
    ...(options.length ? { options } : {}),
  });
}

type DiscordAnswer = {
  type?: number;
  data?: {
    content?: string;
    components?: { components: { label: string; custom_id: string }[] }[];
  };
};
function lastAnswerFile(userId: string): string {
  return `${STATE_DIR}/simulate-discord${route.replace("/", "-")}-${userId}.json`;
}

/** Presses a button of the last answer this user got that has one with that label. */
async function discordPress(userId: string, label: string) {
  const last = await Deno.readTextFile(lastAnswerFile(userId))
    .then((t) => JSON.parse(t) as DiscordAnswer, () => undefined);
  const button = last?.data?.components?.flatMap((r) => r.components).find((b) =>
    b.label === label
  );
  if (!button) throw new Error(`no button "${label}" in the last answer to ${userId}`);
  await discordSend(userId, 3, { custom_id: button.custom_id, component_type: 2 });
}

async function discordSend(userId: string, type: number, data: Record<string, unknown>) {
  const id = String((BigInt(Date.now()) - 1420070400000n) << 22n);
  const token = `local-${crypto.randomUUID()}`;
  const body = JSON.stringify({
    id,
    application_id: bot.discord!.applicationId,
    type,
    token,
    version: 1,
    channel_id: "1",
    user: { id: userId, username: `local${userId}`, global_name: "Local" },
    data,
    ...(type === 3 ? { message: { id: "1", channel_id: "1" } } : {}),
  });
  await fetch(`${front}/__sinks/discord/interactions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ application_id: bot.discord!.applicationId, token }),
  }).then((r) => r.body?.cancel());
  const timestamp = String(Math.floor(Date.now() / 1000));
  const key = await crypto.subtle.importKey(
    "pkcs8",
    Uint8Array.from(atob(bot.discord!.privateKey), (c) => c.charCodeAt(0)),
    "Ed25519",
    false,
    ["sign"],
  );
  const signature = await crypto.subtle.sign(
    "Ed25519",
    key,
    new TextEncoder().encode(timestamp + body),
  );
  const res = await fetch(`${gateway}/discord${route}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-signature-ed25519": Array.from(
        new Uint8Array(signature),
        (b) => b.toString(16).padStart(2, "0"),
      ).join(""),
      "x-signature-timestamp": timestamp,
    },
    body,
  });
  const answer = await res.json() as DiscordAnswer;
  console.error(`endpoint answered ${res.status}${answer.type === 7 ? " (message updated)" : ""}`);
  console.log(answer.data?.content ?? JSON.stringify(answer));
  const rows = answer.data?.components ?? [];
  for (const row of rows) console.log(row.components.map((b) => `[${b.label}]`).join(" "));
  if (rows.length) await Deno.writeTextFile(lastAnswerFile(userId), JSON.stringify(answer));
}
