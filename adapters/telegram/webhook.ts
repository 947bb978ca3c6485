/**
 * The Telegram channel: `POST /telegram`, Telegram's webhook. The secret header is checked in
 * constant time before anything else (401, no database call). Updates then go through grammY's
 * `webhookCallback`. What a retry cannot fix (malformed JSON, an update we do not handle) is
 * acknowledged with 200; a database outage answers 503 so Telegram redelivers later.
 */
import { webhookCallback } from "grammy";
import { readBody } from "../../supabase/functions/_shared/body.ts";
import type { Core } from "../../supabase/functions/_shared/core.ts";
import { asGatewayError, GatewayError } from "../../supabase/functions/_shared/errors.ts";
import type { Route } from "../../supabase/functions/_shared/router.ts";
import { createTelegramBot, type UpdateState } from "./bot.ts";
import { secretChecker } from "./secret.ts";

/** Telegram updates are small; this leaves room for long messages with many entities. */
const UPDATE_LIMIT = 1024 * 1024;
const SECRET_HEADER = "x-telegram-bot-api-secret-token";

/** The Telegram webhook route (loaded on first use through `mod.ts`). */
export function telegramWebhookRoute(core: Core): Route {
  const config = core.config.telegram!;
  const state = new Map<number, UpdateState>();
  const bot = createTelegramBot(core, config, state);
  const isSecret = secretChecker(config.webhookSecret);
  const callback = webhookCallback(bot, "std/http", {
    secretToken: config.webhookSecret,
    onTimeout: "throw",
    timeoutMilliseconds: 25_000,
  });

  return {
    method: "POST",
    path: "/telegram",
    async handle(req, _params, record) {
      record.channel = "telegram";
      if (!(await isSecret(req.headers.get(SECRET_HEADER)))) {
        throw new GatewayError(401, "invalid_token", "Wrong or missing secret token.");
      }
      let body: string;
      let update: unknown;
      try {
        body = await readBody(req, UPDATE_LIMIT);
        update = JSON.parse(body);
      } catch (err) {
        // Retrying cannot fix a broken or oversized body: acknowledge it and log.
        record.error_code = asGatewayError(err).status === 413 ? "payload_too_large" : "bad_json";
        return new Response(null, { status: 200 });
      }
      if (!isUpdate(update)) {
        record.error_code = "invalid_args";
        return new Response(null, { status: 200 });
      }
      record.update_id = update.update_id;
      state.set(update.update_id, { record });
      try {
        // grammY reads the body itself; hand it the bytes already checked.
        return await callback(new Request(req.url, { method: "POST", headers: req.headers, body }));
      } catch (err) {
        const cause = (err as { error?: unknown }).error ?? err;
        let error = asGatewayError(cause);
        if (error.code === "idempotency_in_progress") {
          // Another delivery of this update holds it: have Telegram try again later, so an
          // attempt that dies mid-way does not lose the update.
          error = new GatewayError(
            503,
            "idempotency_in_progress",
            "Update in progress.",
            error.details,
          );
        }
        record.error_code = error.code;
        if (error.status >= 500) {
          if (!(cause instanceof GatewayError)) {
            core.log.error("telegram update failed", {
              request_id: record.request_id,
              error: cause instanceof Error ? cause.name : "unknown",
            });
          }
          // Non-2xx: Telegram keeps the update and redelivers it later.
          throw new GatewayError(
            503,
            error.code === "internal" ? "internal" : error.code,
            "Not handled; Telegram will redeliver.",
          );
        }
        return new Response(null, { status: 200 });
      } finally {
        state.delete(update.update_id);
      }
    },
  };
}

function isUpdate(value: unknown): value is { update_id: number } & Record<string, unknown> {
  return typeof value === "object" && value !== null &&
    Number.isSafeInteger((value as { update_id?: unknown }).update_id);
}
