/**
 * Local fakes ("sinks") of Telegram's Bot API and Discord's REST API, and their mounts on the
 * dev front door. `sinkMounts` gives one handler per sink that strips the mount prefix and
 * forwards to the sink, plus a few inspection routes for the simulator and people poking at
 * the dev stack:
 *
 * - `GET /__sinks/telegram/sent[?method=sendMessage]` — recorded Bot API calls; `DELETE` clears
 * - `POST /__sinks/telegram/webhook-status` `{"token","pending_update_count"?,"last_error_date"?,
 *   "last_error_message"?}` — what `getWebhookInfo` reports about deliveries (null clears)
 * - `GET /__sinks/discord/calls` — recorded Discord calls; `DELETE` clears
 * - `POST /__sinks/discord/interactions` `{"application_id","token"}` — registers an interaction
 *   token (what Discord does when it delivers an interaction)
 * - `GET /__sinks/discord/commands?application_id=…[&guild_id=…]` — stored application commands
 * - `GET /__sinks/slack/calls` — recorded Slack calls (Web API and response URLs); `DELETE` clears
 * - `POST /__sinks/slack/response_urls` `{"team","user","channel"?,"kind"?,"original"?}` —
 *   registers a response URL (what Slack does when it delivers a command or a press): `{"url"}`
 * - `GET /__sinks/slack/responses?url=…` — what a response URL received
 * - `POST /__sinks/slack/messages` `{"team","user","text","channel"?,"thread_ts"?}` — a person
 *   writes a message (in their DM with the bot unless `channel` is given), as Slack has it before
 *   it sends the event about it: `{"channel","ts"}`
 * - `POST /__sinks/telegram/limits`, `/fail-next`, `/block` and `POST /__sinks/slack/limits`,
 *   `/fail-next` — switches: rate limits, an injected failure, a user who blocked the bot
 *   (`controls.ts`)
 *
 * @module
 */

import { slackControl, telegramControl } from "./controls.ts";
import type { DiscordSink } from "./discord.ts";
import type { SlackSink } from "./slack.ts";
import type { TelegramSink } from "./telegram.ts";

export * from "./telegram.ts";
export * from "./discord.ts";
export * from "./slack.ts";

/** Where the Telegram sink is mounted; point `TELEGRAM_API_ROOT` at `<front door><this>`. */
export const TELEGRAM_SINK_PREFIX = "/__sinks/telegram";
/** Where the Discord sink is mounted; point `DISCORD_API_BASE` at `<front door><this>/api/v10`. */
export const DISCORD_SINK_PREFIX = "/__sinks/discord";
/** Where the Slack sink is mounted; point `SLACK_API_BASE` at `<front door><this>/api`. */
export const SLACK_SINK_PREFIX = "/__sinks/slack";

/** A path prefix and the handler for requests under it. */
export interface SinkMount {
  /** Path prefix, without a trailing slash. */
  prefix: string;
  /** Handles a request whose path starts with `prefix`. */
  handler: (req: Request) => Promise<Response>;
}

const methodNotAllowed = () => Response.json({ error: "method not allowed" }, { status: 405 });

/** The mounts of the sinks, for the front door's router. */
export function sinkMounts(
  telegram: TelegramSink,
  discord: DiscordSink,
  slack?: SlackSink,
): SinkMount[] {
  return [
    ...(slack
      ? [{ prefix: SLACK_SINK_PREFIX, handler: (req: Request) => slackInspect(slack, req) }]
      : []),
    {
      prefix: TELEGRAM_SINK_PREFIX,
      handler(req) {
        const url = new URL(req.url);
        const rest = url.pathname.slice(TELEGRAM_SINK_PREFIX.length);
        if (rest === "/webhook-status") return telegramWebhookStatus(telegram, req);
        const control = telegramControl(telegram, rest, req);
        if (control) return control;
        if (rest !== "/sent") return telegram.handle(req, rest);
        if (req.method === "DELETE") {
          telegram.sent.length = 0;
          return Promise.resolve(new Response(null, { status: 204 }));
        }
        if (req.method !== "GET") return Promise.resolve(methodNotAllowed());
        const method = url.searchParams.get("method") ?? undefined;
        return Promise.resolve(Response.json(telegram.calls(method)));
      },
    },
    {
      prefix: DISCORD_SINK_PREFIX,
      handler: (req) => discordInspect(discord, req),
    },
  ];
}

async function telegramWebhookStatus(telegram: TelegramSink, req: Request): Promise<Response> {
  if (req.method !== "POST") return methodNotAllowed();
  const body = await req.json().catch(() => null) as Record<string, unknown> | null;
  const { token, pending_update_count: pending, last_error_date: date } = body ?? {};
  const message = body?.last_error_message;
  const valid = typeof token === "string" &&
    (pending === undefined || (Number.isInteger(pending) && (pending as number) >= 0)) &&
    (date === undefined || date === null || Number.isInteger(date)) &&
    (message === undefined || message === null || typeof message === "string");
  if (!valid) {
    return Response.json({
      error: "token (string) is required; pending_update_count, last_error_date (integers) " +
        "and last_error_message (string) are optional",
    }, { status: 400 });
  }
  telegram.setWebhookStatus(token, {
    pending_update_count: pending as number | undefined,
    last_error_date: date as number | null | undefined,
    last_error_message: message as string | null | undefined,
  });
  return new Response(null, { status: 204 });
}

async function discordInspect(discord: DiscordSink, req: Request): Promise<Response> {
  const url = new URL(req.url);
  const rest = url.pathname.slice(DISCORD_SINK_PREFIX.length);
  if (rest === "/calls") {
    if (req.method === "DELETE") {
      discord.calls.length = 0;
      return new Response(null, { status: 204 });
    }
    return req.method === "GET" ? Response.json(discord.calls) : methodNotAllowed();
  }
  if (rest === "/interactions") {
    if (req.method !== "POST") return methodNotAllowed();
    const body = await req.json().catch(() => null) as Record<string, unknown> | null;
    const applicationId = body?.application_id;
    const token = body?.token;
    if (typeof applicationId !== "string" || typeof token !== "string") {
      return Response.json({ error: "application_id and token are required" }, { status: 400 });
    }
    discord.registerInteraction(applicationId, token);
    return new Response(null, { status: 204 });
  }
  if (rest === "/commands") {
    if (req.method !== "GET") return methodNotAllowed();
    const applicationId = url.searchParams.get("application_id") ?? "";
    const guildId = url.searchParams.get("guild_id") ?? undefined;
    return Response.json(discord.commands(applicationId, guildId));
  }
  return discord.handle(req, rest);
}

async function slackInspect(slack: SlackSink, req: Request): Promise<Response> {
  const url = new URL(req.url);
  const rest = url.pathname.slice(SLACK_SINK_PREFIX.length);
  if (rest === "/calls") {
    if (req.method === "DELETE") {
      slack.calls.length = 0;
      return new Response(null, { status: 204 });
    }
    return req.method === "GET" ? Response.json(slack.calls) : methodNotAllowed();
  }
  if (rest === "/response_urls") {
    if (req.method !== "POST") return methodNotAllowed();
    const body = await req.json().catch(() => null) as Record<string, unknown> | null;
    if (typeof body?.team !== "string" || typeof body?.user !== "string") {
      return Response.json({ error: "team and user are required" }, { status: 400 });
    }
    const base = `${url.origin}${SLACK_SINK_PREFIX}`;
    return Response.json({ url: slack.responseUrl(base, body as never) });
  }
  if (rest === "/messages") {
    if (req.method !== "POST") return methodNotAllowed();
    const body = await req.json().catch(() => null) as Record<string, unknown> | null;
    const field = (name: string) => typeof body?.[name] === "string" ? body[name] as string : "";
    const optional = (name: string) => body?.[name] === undefined || field(name) !== "";
    if (!field("team") || !field("user") || !optional("channel") || !optional("thread_ts")) {
      return Response.json({
        error: "team, user and text are required; channel and thread_ts are optional text",
      }, { status: 400 });
    }
    try {
      const message = slack.userMessage({
        team: field("team"),
        user: field("user"),
        text: field("text"),
        ...(body?.channel ? { channel: field("channel") } : {}),
        ...(body?.thread_ts ? { threadTs: field("thread_ts") } : {}),
      });
      return Response.json({ channel: message.channel, ts: message.ts });
    } catch (err) {
      return Response.json({ error: (err as Error).message }, { status: 400 });
    }
  }
  const control = slackControl(slack, rest, req);
  if (control) return control;
  if (rest === "/responses") {
    if (req.method !== "GET") return methodNotAllowed();
    const state = slack.response(url.searchParams.get("url") ?? "");
    return state ? Response.json(state) : Response.json({ error: "unknown url" }, { status: 404 });
  }
  return slack.handle(req, rest);
}
