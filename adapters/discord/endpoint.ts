/**
 * The Discord channel: `POST /discord`, Discord's interactions endpoint. The signature and the
 * timestamp are checked before anything else (401, no database call); then PING answers PONG,
 * slash commands and pressed buttons run once per interaction as the linked user (deferred past a
 * time budget), and autocomplete suggests from the caller's own rows. Other interaction types answer 400.
 */
import { readBody } from "../../supabase/functions/_shared/body.ts";
import type { Core } from "../../supabase/functions/_shared/core.ts";
import { GatewayError } from "../../supabase/functions/_shared/errors.ts";
import { json } from "../../supabase/functions/_shared/http.ts";
import type { Route } from "../../supabase/functions/_shared/router.ts";
import { answerAutocomplete } from "./autocomplete.ts";
import { answerCommand, answerPress, type DiscordBot } from "./command.ts";
import { DEFAULT_BOT, type DiscordApp } from "../../supabase/functions/_shared/bots.ts";
import type { RequestRecord } from "../../supabase/functions/_shared/log.ts";
import { ResponseType } from "./format.ts";
import { InteractionType, parseInteraction } from "./interaction.ts";
import { createSignatureCheck, requireSignatureHeaders, signatureHeaders } from "./verify.ts";

/**
 * The interactions route of every Discord application (loaded on first use through `mod.ts`):
 * the route's name picks the application (none: `default`), whose signature check is built on its
 * first interaction and kept. A name no application has is a 404 before anything else; each
 * application checks its own public key only.
 */
export function discordEndpoint(core: Core, deferAfterMs: number): Route {
  const apps = new Map(core.config.discordApps.map((app) => [app.name, app]));
  const endpoints = new Map<string, AppEndpoint>();
  return {
    method: "POST",
    path: "/discord/:bot",
    handle(req, params, record) {
      const deadline = performance.now() + deferAfterMs;
      record.channel = "discord";
      const name = params.bot ?? DEFAULT_BOT;
      let endpoint = endpoints.get(name);
      if (!endpoint) {
        const app = apps.get(name);
        if (!app) {
          throw new GatewayError(404, "not_found", `No Discord application is named '${name}'.`);
        }
        endpoint = appEndpoint(core, app);
        endpoints.set(name, endpoint);
      }
      record.bot = name;
      return endpoint(req, record, deadline);
    },
  };
}

type AppEndpoint = (req: Request, record: RequestRecord, deadline: number) => Promise<Response>;

/** One application's endpoint: its public key, its commands, its button key. */
function appEndpoint(core: Core, app: DiscordApp): AppEndpoint {
  const checkSignature = createSignatureCheck(app.publicKey, core.now);
  const bot: DiscordBot = {
    app,
    scope: core.bots.get("discord", app.name)!,
    actions: core.botActions("discord", app.name),
  };
  return async (req, record, deadline) => {
    const headers = signatureHeaders(req);
    requireSignatureHeaders(headers);
    const body = await readBody(req);
    await checkSignature(headers, body);
    const interaction = parseInteraction(body);
    record.interaction_type = interaction.type;
    switch (interaction.type) {
      case InteractionType.PING:
        return json({ type: ResponseType.PONG });
      case InteractionType.APPLICATION_COMMAND:
        return json(await answerCommand(core, bot, interaction, deadline, record));
      case InteractionType.MESSAGE_COMPONENT:
        return json(await answerPress(core, bot, interaction, deadline, record));
      case InteractionType.APPLICATION_COMMAND_AUTOCOMPLETE:
        return json(await answerAutocomplete(core, bot, interaction, record));
      default:
        throw new GatewayError(
          400,
          "invalid_args",
          `Interaction type ${interaction.type} is not handled by this endpoint.`,
        );
    }
  };
}
