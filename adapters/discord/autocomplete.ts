/**
 * Autocomplete (APPLICATION_COMMAND_AUTOCOMPLETE interactions): suggestions for the option the
 * user is typing into, from the command's `autocomplete[option]`, run as the linked user so RLS
 * limits them to the caller's own rows. An unlinked caller, an option without suggestions or a
 * failure all answer an empty list. Suggestions only read, so they skip the delivery ledger:
 * a repeat has no effect to prevent, and the ledger's two round trips would slow every keystroke.
 */
import type { Choice, CommandContext } from "../../supabase/functions/_shared/command.ts";
import type { Core } from "../../supabase/functions/_shared/core.ts";
import { asGatewayError, internalDetail } from "../../supabase/functions/_shared/errors.ts";
import type { RequestRecord } from "../../supabase/functions/_shared/log.ts";
import type { ChatAccount, Principal } from "../../supabase/functions/_shared/principal.ts";
import { type DiscordBot, discordCommand } from "./command.ts";
import { type InteractionResponse, ResponseType } from "./format.ts";
import { chatAccount, focusedOption, type Interaction } from "./interaction.ts";

/** Discord shows at most 25 suggestions. */
export const MAX_CHOICES = 25;
/** Discord's limit for a choice's name and for a string value. */
const CHOICE_TEXT_LIMIT = 100;

/** The context a command's autocomplete function receives: the linked caller, on Discord. */
export function autocompleteContext(
  core: Core,
  principal: Principal,
  chat: ChatAccount,
  bot?: DiscordBot,
): CommandContext {
  return core.executor.context({
    channel: "discord",
    principal,
    chat,
    idempotencyKey: null,
    linking: null,
    bot: bot?.scope,
  });
}

/** The autocomplete result (type 8) for an interaction; never throws. */
export async function answerAutocomplete(
  core: Core,
  bot: DiscordBot,
  interaction: Interaction,
  record: RequestRecord,
): Promise<InteractionResponse> {
  let choices: Choice[] = [];
  try {
    choices = await suggestions(core, bot, interaction, record);
  } catch (err) {
    const error = asGatewayError(err);
    record.error_code = error.code;
    if (error.status >= 500) {
      core.log.warn("discord autocomplete failed", {
        request_id: record.request_id,
        detail: error.code === "internal" ? internalDetail(err) : error.code,
      });
    }
  }
  return {
    type: ResponseType.APPLICATION_COMMAND_AUTOCOMPLETE_RESULT,
    data: { choices: choices.slice(0, MAX_CHOICES).map(fitChoice) },
  };
}

async function suggestions(
  core: Core,
  bot: DiscordBot,
  interaction: Interaction,
  record: RequestRecord,
): Promise<Choice[]> {
  const command = discordCommand(bot, interaction.data?.name);
  record.command = command?.name ?? "(unknown)";
  const option = focusedOption(interaction.data?.options);
  const suggest = option && command?.autocomplete?.[option.name];
  if (!suggest) return [];
  const account = chatAccount(interaction);
  const principal = await core.identities.principalFor(account);
  if (!principal) return [];
  record.user_id = principal.userId;
  const ctx = autocompleteContext(core, principal, account, bot);
  return await suggest(ctx, String(option.value ?? ""));
}

function fitChoice(choice: Choice): Choice {
  const name = String(choice.name).slice(0, CHOICE_TEXT_LIMIT) || String(choice.value);
  const value = typeof choice.value === "string"
    ? choice.value.slice(0, CHOICE_TEXT_LIMIT)
    : choice.value;
  return { name, value };
}
