/**
 * `deno task simulate telegram <user id> "<text>"` and
 * `deno task simulate discord <user id> <command> [option=value ...]`: talk to the running local
 * stack as Telegram or Discord would (the right webhook secret; an Ed25519 signature made with the
 * local application key) and print what the bot answered. Local development only.
 */
import { unescapeHtml } from "../adapters/telegram/format.ts";
import { loadOrCreateChannelSecrets } from "./channel_secrets.ts";
import { stackPortsFromEnv } from "./ports.ts";
import { REPO_ROOT } from "./paths.ts";

const STATE_DIR = Deno.env.get("STACK_STATE_DIR") ?? `${REPO_ROOT}/.local/dev`;
const USAGE = `usage: deno task simulate telegram <user id> "<text>"
       deno task simulate discord <user id> <command> [option=value ...]`;

const [channel, userId, ...rest] = Deno.args;
if (
  !["telegram", "discord"].includes(channel) || !/^\d{1,20}$/.test(userId ?? "") || !rest.length
) {
  console.error(USAGE);
  Deno.exit(2);
}
const front = `http://127.0.0.1:${stackPortsFromEnv().front}`;
const gateway = `${front}/functions/v1/gateway`;
const secrets = await loadOrCreateChannelSecrets(STATE_DIR);

try {
  if (channel === "telegram") await telegram(userId, rest.join(" "));
  else await discord(userId, rest[0], rest.slice(1));
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
    fetch(`${front}/__sinks/telegram/sent?method=sendMessage`).then((r) => r.json()) as Promise<
      { params: { chat_id: number | string; text: string } }[]
    >;
  const before = (await sent()).length;
  const id = Number(fromId);
  const res = await fetch(`${gateway}/telegram`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-telegram-bot-api-secret-token": secrets.telegramWebhookSecret,
    },
    body: JSON.stringify({
      update_id: Math.floor(Date.now() / 1000) * 1000 + Math.floor(Math.random() * 1000),
      message: {
        message_id: Math.floor(Math.random() * 1e6),
        date: Math.floor(Date.now() / 1000),
        chat: { id, type: "private", first_name: "Local" },
        from: { id, is_bot: false, first_name: "Local", username: `local${fromId}` },
        text,
      },
    }),
  });
  await res.body?.cancel();
  console.error(`webhook answered ${res.status}`);
  const replies = (await sent()).slice(before).filter((c) => String(c.params.chat_id) === fromId);
  for (const reply of replies) console.log(unescapeHtml(reply.params.text));
}

async function discord(userId: string, name: string, options: string[]) {
  const id = String((BigInt(Date.now()) - 1420070400000n) << 22n);
  const token = `local-${crypto.randomUUID()}`;
  const body = JSON.stringify({
    id,
    application_id: secrets.discordApplicationId,
    type: 2,
    token,
    version: 1,
    channel_id: "1",
    user: { id: userId, username: `local${userId}`, global_name: "Local" },
    data: {
      id: "1",
      name,
      type: 1,
      options: options.map((o) => {
        const [key, ...value] = o.split("=");
        const raw = value.join("=");
        const number = /^-?\d+$/.test(raw);
        return { name: key, type: number ? 4 : 3, value: number ? Number(raw) : raw };
      }),
    },
  });
  await fetch(`${front}/__sinks/discord/interactions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ application_id: secrets.discordApplicationId, token }),
  }).then((r) => r.body?.cancel());
  const timestamp = String(Math.floor(Date.now() / 1000));
  const key = await crypto.subtle.importKey(
    "pkcs8",
    Uint8Array.from(atob(secrets.discordPrivateKey), (c) => c.charCodeAt(0)),
    "Ed25519",
    false,
    ["sign"],
  );
  const signature = await crypto.subtle.sign(
    "Ed25519",
    key,
    new TextEncoder().encode(timestamp + body),
  );
  const res = await fetch(`${gateway}/discord`, {
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
  const answer = await res.json();
  console.error(`endpoint answered ${res.status}`);
  console.log(answer.data?.content ?? JSON.stringify(answer));
}
