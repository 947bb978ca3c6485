/**
 * Telegram cases: `POST /telegram` with the webhook secret. Most are updates from the linked
 * account carrying commands with nasty arguments (so they reach the command layer and the
 * database); the rest are updates of the wrong shape at every level (message null, chat missing,
 * text a number, update_id a string), other update types, unlinked and bot senders, malformed or
 * oversized bodies, and wrong secrets.
 */
import type { Rng } from "./prng.ts";
import { BOT_USERNAME, type CaseBody, type SecretKind, TG_LINKED } from "./generate.ts";
import { malformedBody, nastyNumber, nastyString, nastyValue } from "./values.ts";

/** Just over the Telegram update limit (1 MiB). */
const OVER_LIMIT = 1024 * 1024 + 1;

/** One Telegram case. */
export function telegramCase(rng: Rng, index: number): CaseBody {
  const area = rng.weighted({
    "linked-command": 40,
    "unlinked-command": 8,
    "message-shape": 20,
    "update-id": 8,
    "other-update": 5,
    "bad-json": 8,
    oversized: 3,
    secret: 8,
  });
  const updateId = 10_000_000 + index;
  const fromId = area === "unlinked-command" ? rng.int(1, 2 ** 31) : TG_LINKED;
  const text = commandText(rng);
  const update: Record<string, unknown> = { update_id: updateId, message: message(fromId, text) };
  const msg = update.message as Record<string, unknown>;
  let category = area === "linked-command" || area === "unlinked-command" ? text.kind : "";
  let secret: SecretKind = "right";
  let body: string | undefined;
  let stream = false;
  switch (area) {
    case "message-shape": {
      const field = rng.pick([
        "message",
        "chat",
        "chat.id",
        "chat.type",
        "from",
        "from.id",
        "text",
      ]);
      const broken = rng.pick(["missing", "null", "wrong-type"]);
      const value = broken === "wrong-type" ? nastyValue(rng).value : null;
      const [outer, inner] = field.split(".");
      const target = outer === "message"
        ? update
        : inner
        ? msg[outer] as Record<string, unknown>
        : msg;
      const key = inner ?? outer;
      if (broken === "missing") delete target[key];
      else target[key] = value;
      if (rng.chance(0.3)) {
        msg.from = { ...(msg.from as object), is_bot: rng.pick([true, "no", 1]) };
      }
      category = `${field}-${broken}`;
      break;
    }
    case "update-id": {
      const id = rng.pick<unknown>([-1, 0, 1.5, 2 ** 53, 2 ** 64, "12", null, [], 1e308]);
      update.update_id = id;
      category = JSON.stringify(id);
      break;
    }
    case "other-update": {
      const kind = rng.pick(["edited_message", "channel_post", "callback_query", "inline_query"]);
      delete update.message;
      update[kind] = kind === "callback_query"
        ? { id: String(index), from: msg.from, data: nastyString(rng).value }
        : kind === "inline_query"
        ? { id: String(index), from: msg.from, query: nastyString(rng).value, offset: "" }
        : msg;
      category = kind;
      break;
    }
    case "bad-json": {
      const bad = malformedBody(rng, JSON.stringify(update));
      body = bad.value;
      category = bad.kind;
      break;
    }
    case "oversized": {
      stream = rng.chance(0.5);
      msg.text = `/add ${"z".repeat(OVER_LIMIT)}`;
      category = stream ? "stream" : "declared";
      break;
    }
    case "secret": {
      secret = rng.pick<SecretKind>(["wrong", "missing", "empty", "suffixed", "upper", "prefix"]);
      category = secret;
      break;
    }
  }
  if (area.endsWith("command") && rng.chance(0.15)) {
    // Group chats: negative chat ids, replies quote the message.
    msg.chat = { id: -rng.int(1, 2 ** 40), type: rng.pick(["group", "supergroup"]), title: "G" };
  }
  return {
    category: `${area}/${category}`,
    method: "POST",
    path: "/telegram",
    headers: { "content-type": "application/json" },
    body: body ?? JSON.stringify(update),
    stream,
    secret,
  };
}

/** A message as the Bot API sends it, from `fromId` in a private chat. */
function message(fromId: number, text: { value: string }): Record<string, unknown> {
  const command = /^\/\S+/.exec(text.value)?.[0];
  return {
    message_id: fromId % 100_000 + 1,
    date: 1_764_633_600,
    chat: { id: fromId, type: "private", first_name: "Fuzz" },
    from: { id: fromId, is_bot: false, first_name: "Fuzz", username: `fuzz${fromId}` },
    text: text.value,
    ...(command ? { entities: [{ type: "bot_command", offset: 0, length: command.length }] } : {}),
  };
}

/** A command line: real commands with nasty arguments, mentions, unknown commands, plain text. */
function commandText(rng: Rng): { kind: string; value: string } {
  const mention = rng.weighted({ "": 6, me: 2, other: 1, empty: 1 });
  const at = mention === "me"
    ? `@${rng.chance(0.5) ? BOT_USERNAME : BOT_USERNAME.toLowerCase()}`
    : mention === "other"
    ? "@SomeOtherBot"
    : mention === "empty"
    ? "@"
    : "";
  const title = nastyString(rng);
  const id = nastyNumber(rng);
  const kinds: Record<string, () => string> = {
    "add": () => `/add${at} ${title.value}`,
    "add-empty": () => `/add${at}`,
    "done": () => `/done${at} ${rng.chance(0.3) ? "#" : ""}${id.value}`,
    "done-text": () => `/done${at} ${title.value}`,
    "done-extra": () => `/done${at} 1 2 three`,
    "tasks": () => `/tasks${at}${rng.chance(0.5) ? " extra args" : ""}`,
    "whoami": () => `/whoami${at}`,
    "help": () => `/help${at} ${title.value}`,
    "start": () => `/start${at} ${rng.pick(["", "BADCODE123", title.value])}`,
    "link": () => `/link${at} ${rng.pick(["ABCD-EFGH-JK", "", title.value, "x".repeat(40)])}`,
    "unknown": () => `/${rng.pick(["foo", "ADD", "link_code", "x".repeat(33), "dönE"])}${at} 1`,
    "plain": () => title.value,
    // Unlinks the fuzz account; the runner links it again after the case.
    "unlink": () => `/unlink${at}`,
    "spaced": () => ` \n/add${at}\t${title.value}`,
    "long-line": () => `/add${at} ${"w ".repeat(rng.pick([2100, 3000]))}`,
  };
  const kind = rng.weighted<string>({
    ...Object.fromEntries(Object.keys(kinds).map((k) => [k, 1])),
    add: 6,
    done: 2,
    spaced: 2,
    unlink: 0.3,
  });
  const suffix = ["add", "help", "done-text", "spaced"].includes(kind) ? `-${title.kind}` : "";
  return { kind: `${kind}${mention ? `@${mention}` : ""}${suffix}`, value: kinds[kind]() };
}
