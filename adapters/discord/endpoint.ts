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
import { answerCommand, answerPress } from "./command.ts";
import { ResponseType } from "./format.ts";
import { InteractionType, parseInteraction } from "./interaction.ts";
import { createSignatureCheck, requireSignatureHeaders, signatureHeaders } from "./verify.ts";

/** The Discord interactions route (loaded on first use through `mod.ts`). */
export function discordEndpoint(core: Core, deferAfterMs: number): Route {
  const config = core.config.discord!;
  const checkSignature = createSignatureCheck(config.publicKey, core.now);

  return {
    method: "POST",
    path: "/discord",
    async handle(req, _params, record) {
      const deadline = performance.now() + deferAfterMs;
      record.channel = "discord";
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
          return json(await answerCommand(core, interaction, deadline, record));
        case InteractionType.MESSAGE_COMPONENT:
          return json(await answerPress(core, interaction, deadline, record));
        case InteractionType.APPLICATION_COMMAND_AUTOCOMPLETE:
          return json(await answerAutocomplete(core, interaction, record));
        default:
          throw new GatewayError(
            400,
            "invalid_args",
            `Interaction type ${interaction.type} is not handled by this endpoint.`,
          );
      }
    },
  };
}
