/**
 * `POST /notify` for server code: who may call (a service or secret key; a user's token or the
 * anon key is refused with 403, anything else 401) and what the body must hold, checked before
 * anything reaches the database: `{user_id, text, actions?, key?, bot?}`, with the buttons checked
 * against the registry and the bots of that name.
 */
import { z } from "zod";
import { parseJson, readBody } from "../../supabase/functions/_shared/body.ts";
import type { BotScope } from "../../supabase/functions/_shared/bot.ts";
import { BOT_NAME, DEFAULT_BOT } from "../../supabase/functions/_shared/bots.ts";
import type { Core } from "../../supabase/functions/_shared/core.ts";
import { asGatewayError, GatewayError } from "../../supabase/functions/_shared/errors.ts";
import { bearerToken } from "../http/commands.ts";
import { notificationButtons } from "./buttons.ts";
import { serviceKeyChecker } from "./service_key.ts";

/** A checked request to notify a user. */
export interface NotifyRequest {
  user_id: string;
  text: string;
  actions: unknown;
  key: string | null;
  bot: string;
}

/** Characters as PostgreSQL's `char_length` counts them (code points: an emoji is one). */
const characters = (s: string) => {
  let n = s.length;
  for (const ch of s) if (ch.length === 2) n--;
  return n;
};

// Lengths are counted as `gateway_notify` and the outbox's checks count them, so what one takes
// the other takes.
const BODY = z.object({
  user_id: z.uuid({ error: "user_id must be a user's id (a UUID)" }),
  text: z.string({ error: "text is required" })
    .min(1, "text must not be empty")
    .refine((t) => t.length <= 2000 || characters(t) <= 2000, {
      error: "text may hold at most 2000 characters",
      abort: true,
    })
    .refine((t) => t.trim() !== "", "text must not be blank")
    .refine((t) => t.isWellFormed() && !t.includes("\0"), "text must be well-formed text"),
  actions: z.array(z.unknown()).nullish(),
  key: z.string().min(1, "key must not be empty")
    .refine((k) => k.length <= 200 || characters(k) <= 200, "key may hold at most 200 characters")
    .nullish(),
  bot: z.string().regex(BOT_NAME, "bot must be a bot name").nullish(),
}).strict();

/** Builds the check of `Authorization` for the notification routes. */
export function notifyCaller(core: Core): (req: Request) => Promise<void> {
  const isServiceKey = serviceKeyChecker(core.config.serviceKeys);
  const forbidden = () =>
    new GatewayError(
      403,
      "forbidden",
      "Notifications are sent by servers: use the service (or a secret) key, never a user's token.",
    );
  return async (req) => {
    const token = bearerToken(req);
    if (isServiceKey(token)) return;
    if (token === core.config.anonKey || token.startsWith("sb_publishable_")) throw forbidden();
    try {
      await core.verifyAccessToken(token);
    } catch (err) {
      if (asGatewayError(err).status >= 500) throw err;
      throw new GatewayError(401, "invalid_token", "The bearer is not a key of this project.");
    }
    throw forbidden(); // a valid token of a user (or the anon role)
  };
}

/** Reads and checks the body; throws 400 (or 413, 415) saying what is wrong. */
export async function readNotifyRequest(core: Core, req: Request): Promise<NotifyRequest> {
  const type = req.headers.get("content-type");
  if (type && !/^application\/([\w.+-]*\+)?json\b/i.test(type)) {
    throw new GatewayError(415, "unsupported_media_type", "Send JSON (application/json).");
  }
  const raw = parseJson(await readBody(req));
  const parsed = BODY.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue.path.map(String).join(".");
    const message = issue.code === "unrecognized_keys"
      ? `Unknown field ${issue.keys.join(", ")}: send {user_id, text, actions?, key?, bot?}.`
      : issue.code === "invalid_type" && field && raw && typeof raw === "object" &&
          !(field in raw)
      ? `${field} is required.`
      : issue.message;
    throw new GatewayError(400, "invalid_args", message);
  }
  const body = parsed.data;
  const bot = body.bot ?? DEFAULT_BOT;
  const scopes = [core.bots.get("telegram", bot), core.bots.get("discord", bot)]
    .filter((s): s is BotScope => s !== undefined);
  if (!scopes.length) {
    throw new GatewayError(400, "invalid_args", `No bot is named '${bot}'.`);
  }
  try {
    notificationButtons(core.registry, body.actions, scopes);
  } catch (err) {
    throw new GatewayError(400, "invalid_args", (err as Error).message);
  }
  return {
    user_id: body.user_id,
    text: body.text,
    actions: body.actions?.length ? body.actions : null,
    key: body.key ?? null,
    bot,
  };
}
