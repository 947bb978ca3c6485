/**
 * Notifications on Discord: a direct message from the application's bot. The DM channel is
 * opened once per recipient (`POST /users/@me/channels {recipient_id}`) and remembered, then
 * `POST /channels/{id}/messages` with the text escaped like every reply (no pings) and the
 * buttons as components signed with that application's button key (a press reaches its
 * interactions endpoint and runs as the presser). Discord's per-route buckets are honoured: a
 * route whose `X-RateLimit-Remaining` reached 0 is not called again before its reset (waited
 * out when short, else the delivery is retried then), and a 429's `retry_after` makes the row due
 * again then. What Discord answers becomes what the user reads (`discordResult`).
 */
import type { ActionRows } from "../../supabase/functions/_shared/actions.ts";
import type { DiscordApp } from "../../supabase/functions/_shared/bots.ts";
import type { Core } from "../../supabase/functions/_shared/core.ts";
import type { BotNotifier, ProviderNotifier, SendResult } from "../notify/senders.ts";
import { perBot } from "../notify/per_bot.ts";
import { SEND_TIMEOUT_MS, timedFetch } from "../notify/timed_fetch.ts";
import { type ActionRowComponent, BUTTON_STYLE, discordContent } from "./format.ts";
import { USER_AGENT } from "./webhook.ts";

/**
 * Discord allows a bot about 50 requests a second in all (a first DM takes two) and a channel 5
 * messages in 5 seconds.
 */
const PACE = { perSecond: 25, chatIntervalMs: 1_000 };
/** Longest bucket reset waited out inline; longer ones retry the delivery after it. */
const MAX_BUCKET_WAIT_MS = 2_000;
const MAX_CHANNELS = 10_000;

/** The Discord sender of the notification table. */
export function discordNotifier(core: Core): ProviderNotifier {
  return perBot("Discord", core.config.discordApps, (app) => appNotifier(core, app));
}

interface Answer {
  status: number;
  body: { id?: unknown; code?: unknown; message?: unknown; retry_after?: unknown } | null;
  retryAfterHeader?: string | null;
}

function appNotifier(core: Core, app: DiscordApp): BotNotifier {
  // The same key the application's endpoint verifies presses with.
  const codec = core.botActions("discord", app.name);
  /** DM channel id per recipient: stable on Discord, so opened once. */
  const channels = new Map<string, string>();
  /** When each route may be called again (its bucket ran out). */
  const resumeAt = new Map<string, number>();
  const headers = {
    authorization: `Bot ${app.botToken}`,
    "content-type": "application/json",
    "user-agent": USER_AGENT,
  };

  /** One call on `route`, within its bucket; a number: the bucket is empty for that long. */
  async function call(route: string, path: string, body: unknown): Promise<Answer | number> {
    const wait = (resumeAt.get(route) ?? 0) - core.now();
    if (wait > MAX_BUCKET_WAIT_MS) return wait;
    if (wait > 0) await core.sleep(wait);
    const res = await timedFetch(core.fetch, `${app.apiBase}${path}`, {
      method: "POST",
      headers,
      body: JSON.stringify(body),
    }, SEND_TIMEOUT_MS);
    const after = Number(res.headers.get("x-ratelimit-reset-after"));
    if (res.headers.get("x-ratelimit-remaining") === "0" && after > 0) {
      resumeAt.set(route, core.now() + after * 1000);
    }
    return {
      status: res.status,
      body: await res.json().catch(() => null),
      retryAfterHeader: res.headers.get("retry-after"),
    };
  }

  const limited = (ms: number): SendResult => ({
    status: "retry",
    error: `Discord asked to wait ${Math.ceil(ms / 1000)} s`,
    afterMs: ms,
  });

  return {
    scope: core.bots.get("discord", app.name)!,
    pace: PACE,
    async send(to, actions) {
      if (!app.botToken) {
        return {
          status: "skipped",
          error: "not sent: the app's Discord bot has no token for direct messages",
        };
      }
      try {
        let channel = channels.get(to.externalId);
        if (!channel) {
          const opened = await call("dm", "/users/@me/channels", { recipient_id: to.externalId });
          if (typeof opened === "number") return limited(opened);
          if (opened.status !== 200 || typeof opened.body?.id !== "string") {
            return discordResult(opened);
          }
          channel = opened.body.id;
          if (channels.size >= MAX_CHANNELS) channels.clear();
          channels.set(to.externalId, channel);
        }
        const posted = await call(`messages:${channel}`, `/channels/${channel}/messages`, {
          content: discordContent(to.text),
          allowed_mentions: { parse: [] },
          ...components(actions),
        });
        if (typeof posted === "number") return limited(posted);
        if (posted.status === 404 && posted.body?.code === 10003) {
          channels.delete(to.externalId); // the DM channel is gone: open a new one next time
          return { status: "retry", error: "the direct message channel was gone", afterMs: 0 };
        }
        return discordResult(posted);
      } catch {
        return { status: "retry", error: "Discord could not be reached" };
      }
    },
  };

  function components(rows: ActionRows | null): { components?: ActionRowComponent[] } {
    if (!rows?.length) return {};
    return {
      components: rows.map((row) => ({
        type: 1 as const,
        components: row.map((a) => ({
          type: 2 as const,
          style: BUTTON_STYLE[a.style ?? "secondary"],
          label: a.label,
          custom_id: codec.encode(a),
        })),
      })),
    };
  }
}

/** What Discord's answer means for the delivery, in the recipient's words. */
export function discordResult(answer: Answer): SendResult {
  const { status, body } = answer;
  if (status >= 200 && status < 300) return { status: "sent" };
  const code = typeof body?.code === "number" ? body.code : 0;
  if (status === 429) {
    let seconds = Number(body?.retry_after);
    if (!Number.isFinite(seconds) || seconds <= 0) seconds = Number(answer.retryAfterHeader);
    if (!Number.isFinite(seconds) || seconds <= 0) seconds = 1;
    return {
      status: "retry",
      error: `Discord asked to wait ${Math.ceil(seconds)} s`,
      afterMs: Math.ceil(seconds * 1000),
    };
  }
  if (code === 50007) {
    return {
      status: "failed",
      error: "not sent: Discord does not let the bot message you directly (allow direct " +
        "messages from members of a server you share with it)",
    };
  }
  if (code === 10013 || code === 50033) {
    return { status: "failed", error: "not sent: Discord has no such account" };
  }
  if (status === 401) return { status: "retry", error: "Discord refused the bot's token" };
  if (status === 403) return { status: "failed", error: `not sent: Discord refused (${code})` };
  if (status === 400) {
    const why = typeof body?.message === "string" ? body.message.slice(0, 100) : String(code);
    return { status: "failed", error: `not sent: Discord refused the message (${why})` };
  }
  return { status: "retry", error: `Discord answered ${status}` };
}
