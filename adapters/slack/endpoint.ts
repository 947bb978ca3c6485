/**
 * The Slack channel: `POST /slack` (the default app) and `POST /slack/<name>`, each app's Request
 * URL for slash commands, interactivity and the Events API. The signature headers and timestamp are
 * checked before the body is read, the signature before it is parsed (401, nothing run, no
 * database call). The one unsigned request Slack sends, its SSL check (`ssl_check=1`), is
 * answered 200 and runs nothing. Then a slash command, a pressed button, a mention or a direct
 * message runs through the pipeline as the linked Slack user; `url_verification` is answered with
 * its challenge; other payloads are acknowledged. An app without a bot token cannot answer events
 * (it posts with the token): they are acknowledged, run nothing, and the first is logged.
 */
import { readBodyBytes } from "../../supabase/functions/_shared/body.ts";
import { DEFAULT_BOT } from "../../supabase/functions/_shared/bots.ts";
import type { SlackApp } from "../../supabase/functions/_shared/bots_slack.ts";
import type { Core } from "../../supabase/functions/_shared/core.ts";
import { GatewayError } from "../../supabase/functions/_shared/errors.ts";
import { json } from "../../supabase/functions/_shared/http.ts";
import type { RequestRecord } from "../../supabase/functions/_shared/log.ts";
import type { Route } from "../../supabase/functions/_shared/router.ts";
import { answerCommand } from "./command.ts";
import { answeredEvents, answerEvent } from "./event_command.ts";
import type { SlackBot } from "./outcome.ts";
import { answerPress } from "./press.ts";
import { isSslCheck, parseSlackRequest } from "./request.ts";
import { allowedResponseUrl } from "./respond.ts";
import { createSlackVerifier, slackSignatureHeaders } from "./verify.ts";

/** Slack's payloads carry the message a button is on; this leaves room for long ones. */
const BODY_LIMIT = 256 * 1024;
/** An unsigned SSL check is a few bytes. */
const SSL_CHECK_LIMIT = 1024;

type AppEndpoint = (req: Request, record: RequestRecord, deadline: number) => Promise<Response>;

/**
 * The route of every Slack app (loaded on first use through `mod.ts`): the route's name picks the
 * app (none: `default`), whose verifier is built on its first request and kept. A name no app
 * has is a 404 before anything else; each app checks its own signing secret only.
 */
export function slackEndpoint(core: Core, deferAfterMs: number): Route {
  const apps = new Map(core.config.slackApps.map((app) => [app.name, app]));
  const endpoints = new Map<string, AppEndpoint>();
  return {
    method: "POST",
    path: "/slack/:bot",
    handle(req, params, record) {
      const deadline = performance.now() + deferAfterMs;
      record.channel = "slack";
      const name = params.bot ?? DEFAULT_BOT;
      let endpoint = endpoints.get(name);
      if (!endpoint) {
        const app = apps.get(name);
        if (!app) throw new GatewayError(404, "not_found", `No Slack app is named '${name}'.`);
        endpoint = appEndpoint(core, app);
        endpoints.set(name, endpoint);
      }
      record.bot = name;
      return endpoint(req, record, deadline);
    },
  };
}

/** One app's endpoint: its signing secret, its commands, its button key. */
function appEndpoint(core: Core, app: SlackApp): AppEndpoint {
  const verifier = createSlackVerifier(app.signingSecret, core.now);
  const bot: SlackBot = {
    app,
    scope: core.bots.get("slack", app.name)!,
    // Every Slack app has its own button key: a button of one app, or of another platform,
    // runs nothing here.
    actions: core.botActions("slack", app.name),
  };
  let toldNoToken = false;
  const answered = answeredEvents();
  return async (req, record, deadline) => {
    const headers = slackSignatureHeaders(req);
    const contentType = req.headers.get("content-type");
    if (headers.signature === null && headers.timestamp === null) {
      // Only Slack's SSL check comes unsigned; it is answered and runs nothing.
      const body = await readBodyBytes(req, SSL_CHECK_LIMIT).catch(() => new Uint8Array());
      if (isSslCheck(contentType, new TextDecoder().decode(body))) return ok();
    }
    verifier.checkHeaders(headers);
    const body = await readBodyBytes(req, BODY_LIMIT);
    verifier.checkSignature(headers, body);
    const retry = req.headers.get("x-slack-retry-num");
    if (retry && /^\d{1,3}$/.test(retry)) record.retry = Number(retry);
    const reason = req.headers.get("x-slack-retry-reason");
    if (reason && /^[a-z_]{1,40}$/.test(reason)) record.retry_reason = reason;
    const request = parseSlackRequest(contentType, new TextDecoder().decode(body));
    record.slack_type = request.kind;
    switch (request.kind) {
      case "ssl_check":
      case "ignored":
        return ok();
      case "url_verification":
        return json({ challenge: request.challenge });
      case "event":
        if (!app.botToken) {
          record.slack_ignored = "no_bot_token";
          if (!toldNoToken) {
            toldNoToken = true;
            core.log.warn(
              "slack events ignored: the app has no bot token to answer with " +
                "(SLACK_BOT_TOKEN, or botToken in SLACK_APPS)",
              { bot: app.name },
            );
          }
          return ok();
        }
        return await answerEvent(core, bot, request, deadline, record, {
          retry: Number(record.retry ?? 0),
          answered,
        });
      case "command":
      case "press":
        if (!allowedResponseUrl(request.responseUrl, app.apiBase)) {
          throw new GatewayError(
            400,
            "invalid_args",
            "Malformed Slack request: foreign response_url.",
          );
        }
        return request.kind === "command"
          ? await answerCommand(core, bot, request, deadline, record)
          : await answerPress(core, bot, request, deadline, record);
    }
  };
}

function ok(): Response {
  return new Response(null, { status: 200 });
}
