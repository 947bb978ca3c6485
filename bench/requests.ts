/**
 * The requests the scenarios send, as `wrk` templates: PostgREST's own (direct and through the
 * floors), the peer's, the gateway's HTTPS commands, Telegram updates, signed Discord
 * interactions and signed Slack slash commands. Each read asks for the same rows (Alice's first page of tasks, `count=exact`) with
 * the same token whatever the path; writes insert one of Bob's tasks. Bodies that must differ per
 * request take a counter (`{{n}}`) or come from a file of pre-built lines (signatures, headers).
 */
import { slackSignature } from "../adapters/slack/verify.ts";
import { SLACK_SINK_PREFIX } from "../dev/sinks/mod.ts";
import { createActionCodec } from "../supabase/functions/_shared/action_tokens.ts";
import { type BenchStack, hex, SL, STATE, TG } from "./stack.ts";
import type { Scenario } from "./wrk.ts";

const JSON_TYPE = { "content-type": "application/json" };
const READ_QUERY = "/tasks?select=id,title,done,created_at,source" +
  "&order=done.asc,created_at.desc,id.desc&offset=0&limit=15";

/** Builds requests for one stack; `lines` pre-built requests per file (more than a run sends). */
export function requestKit(stack: BenchStack, lines: number) {
  const user = (token: string) => ({
    apikey: stack.keys.anonKey,
    authorization: `Bearer ${token}`,
  });
  const codec = createActionCodec({ keys: [stack.keys.serviceRoleKey] });
  let snowflake = BigInt(Date.now()) << 22n;

  const prebuilt = async (name: string, headers: string[], line: (n: number) => string[]) => {
    const file = `${STATE}/${name}.lines`;
    const out: string[] = [];
    for (let n = 0; n < lines; n++) out.push(line(n).join("\t"));
    await Deno.writeTextFile(file, out.join("\n") + "\n");
    return { file, lineHeaders: headers };
  };

  /** Discord interactions signed with the app's key, one per line (ids must not repeat). */
  const signedDiscord = async (
    name: string,
    userId: string,
    data: Record<string, unknown>,
    type = 2,
  ) => {
    const timestamp = String(Math.floor(Date.now() / 1000) + 60); // valid for the whole run
    const rows: string[] = [];
    for (let n = 0; n < lines; n++) {
      const id = String(++snowflake);
      const body = JSON.stringify({
        id,
        application_id: stack.discordApplicationId,
        type,
        token: `bench${id}`,
        version: 1,
        data: type === 2 ? { id: "1", type: 1, ...data } : data,
        ...(type === 3 ? { message: { id: "1", channel_id: "2" } } : {}),
        channel_id: "2",
        user: { id: userId, username: "bench" },
      });
      const sig = await crypto.subtle.sign(
        "Ed25519",
        stack.discordKey.privateKey,
        new TextEncoder().encode(timestamp + body),
      );
      rows.push([hex(sig), timestamp, body].join("\t"));
    }
    const file = `${STATE}/${name}.lines`;
    await Deno.writeTextFile(file, rows.join("\n") + "\n");
    return { file, lineHeaders: ["x-signature-ed25519", "x-signature-timestamp"] };
  };

  /** Slack slash commands from `user`, signed, one per line, each with its own trigger id. */
  const signedSlack = async (name: string, user: string, command: string, text: string) => {
    const timestamp = String(Math.floor(Date.now() / 1000) + 60); // valid for the whole run
    // Answered inline, never posted to; were one posted, it would reach the sink, not Slack.
    const responseUrl = `${stack.sinkUrl}${SLACK_SINK_PREFIX}/commands/${SL.team}/1/bench`;
    const rows: string[] = [];
    for (let n = 0; n < lines; n++) {
      const body = new URLSearchParams({
        team_id: SL.team,
        user_id: user,
        command,
        text,
        api_app_id: "A0BENCH",
        response_url: responseUrl,
        trigger_id: `${++snowflake}.1.bench`,
      }).toString();
      rows.push(
        [slackSignature(stack.slackSigningSecret, timestamp, body), timestamp, body].join("\t"),
      );
    }
    const file = `${STATE}/${name}.lines`;
    await Deno.writeTextFile(file, rows.join("\n") + "\n");
    return { file, lineHeaders: ["x-slack-signature", "x-slack-request-timestamp"] };
  };

  const telegramUpdate = (from: string, text: string) =>
    JSON.stringify({
      update_id: 0,
      message: {
        message_id: 0,
        date: 1764700000,
        chat: { id: Number(from), type: "private", first_name: "Bench" },
        from: { id: Number(from), is_bot: false, first_name: "Bench" },
        text,
        entities: [{ type: "bot_command", offset: 0, length: text.split(" ")[0].length }],
      },
    }).replace('"update_id":0', '"update_id":{{n}}').replace(
      '"message_id":0',
      '"message_id":{{n}}',
    );

  const tasksButton = () => codec.encode({ label: "Page 1", command: "tasks", args: { page: 1 } });

  return {
    /** PostgREST's read, as direct PostgREST and the floors get it. */
    restRead: (base: string): Scenario => ({
      method: "GET",
      url: `${base}${READ_QUERY}`,
      headers: { ...user(stack.aliceToken), prefer: "count=exact" },
    }),
    /** PostgREST's upsert of `/add`, as direct PostgREST and the floors get it. */
    restWrite: (base: string, tag: string): Scenario => ({
      method: "POST",
      url:
        `${base}/tasks?on_conflict=user_id,idempotency_key&select=id,title,done,created_at,source`,
      headers: {
        ...user(stack.bobToken),
        ...JSON_TYPE,
        prefer: "resolution=merge-duplicates,return=representation",
        accept: "application/vnd.pgrst.object+json",
      },
      body: `{"title":"Bench task","source":"http","idempotency_key":"${tag}-{{n}}"}`,
    }),
    /** `/tasks` or `/add` as an HTTPS command (gateway) or a call of the peer's function. */
    command: (base: string, command: "tasks" | "add"): Scenario => ({
      method: "POST",
      url: `${base}/${command}`,
      headers: {
        authorization: `Bearer ${command === "tasks" ? stack.aliceToken : stack.bobToken}`,
        ...JSON_TYPE,
      },
      body: command === "tasks" ? "{}" : `{"title":"Bench task"}`,
    }),
    /** `/add` with an Idempotency-Key per request (wrk varies headers only through lines). */
    idempotentAdd: async (gw: string, tag: string): Promise<Scenario> => ({
      method: "POST",
      url: `${gw}/commands/add`,
      headers: { authorization: `Bearer ${stack.bobToken}`, ...JSON_TYPE },
      lines: await prebuilt(tag, ["idempotency-key"], (n) => [
        `bench-${tag}-${n}`,
        `{"title":"Bench task"}`,
      ]),
    }),
    /** A Telegram message to the bot at `route` (`/telegram` or `/telegram/<name>`). */
    telegram: (
      gw: string,
      from: keyof typeof TG,
      text: string,
      route = "/telegram",
      secret = stack.webhookSecret,
    ): Scenario => ({
      method: "POST",
      url: `${gw}${route}`,
      headers: { ...JSON_TYPE, "x-telegram-bot-api-secret-token": secret },
      body: telegramUpdate(TG[from], text),
    }),
    /** Alice pressing a button that runs /tasks (page 1): the press edits the message in place. */
    telegramPress: (gw: string): Scenario => ({
      method: "POST",
      url: `${gw}/telegram`,
      headers: { ...JSON_TYPE, "x-telegram-bot-api-secret-token": stack.webhookSecret },
      body: JSON.stringify({
        update_id: 0,
        callback_query: {
          id: "Q",
          from: { id: Number(TG.alice), is_bot: false, first_name: "Bench" },
          chat_instance: "1",
          message: {
            message_id: 1,
            date: 1764700000,
            chat: { id: Number(TG.alice), type: "private", first_name: "Bench" },
            text: "…",
          },
          data: tasksButton(),
        },
      }).replace('"update_id":0', '"update_id":{{n}}').replace('"id":"Q"', '"id":"q{{n}}"'),
    }),
    /** A Discord slash command from `userId`, signed. */
    discord: async (
      gw: string,
      tag: string,
      userId: string,
      data: Record<string, unknown>,
    ): Promise<Scenario> => ({
      method: "POST",
      url: `${gw}/discord`,
      headers: JSON_TYPE,
      lines: await signedDiscord(tag, userId, data),
    }),
    /** A Slack slash command (`/tasks`, `/add <text>`) from `user`, signed. */
    slack: async (
      gw: string,
      tag: string,
      user: string,
      command: string,
      text = "",
    ): Promise<Scenario> => ({
      method: "POST",
      url: `${gw}/slack`,
      headers: { "content-type": "application/x-www-form-urlencoded" },
      lines: await signedSlack(tag, user, command, text),
    }),
    /** A Discord button press running /tasks (page 1), signed. */
    discordPress: async (gw: string, tag: string, userId: string): Promise<Scenario> => ({
      method: "POST",
      url: `${gw}/discord`,
      headers: JSON_TYPE,
      lines: await signedDiscord(tag, userId, { custom_id: tasksButton(), component_type: 2 }, 3),
    }),
  };
}

/** The request builders of one stack. */
export type RequestKit = ReturnType<typeof requestKit>;
