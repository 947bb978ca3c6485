/**
 * The parts of a Discord interaction the gateway reads, checked once after the signature: who
 * is calling (`member.user` in a guild, `user` in a DM), which command, and its options. Only
 * what is needed is validated; Discord adds fields freely.
 */
import { GatewayError } from "../../supabase/functions/_shared/errors.ts";
import type { ChatAccount } from "../../supabase/functions/_shared/principal.ts";

/** Interaction types (Discord's `InteractionType`). */
export const InteractionType = {
  PING: 1,
  APPLICATION_COMMAND: 2,
  MESSAGE_COMPONENT: 3,
  APPLICATION_COMMAND_AUTOCOMPLETE: 4,
  MODAL_SUBMIT: 5,
} as const;

/** A Discord user object (the fields we read). */
export interface DiscordUser {
  id: string;
  username?: string;
  global_name?: string | null;
}

/** One filled-in option of a slash command. */
export interface InteractionOption {
  name: string;
  type: number;
  value?: string | number | boolean;
  /** Set on the option the user is typing into (autocomplete). */
  focused?: boolean;
  options?: InteractionOption[];
}

/** An incoming interaction, validated. */
export interface Interaction {
  id: string;
  application_id: string;
  type: number;
  token: string;
  data?: { name?: string; options?: InteractionOption[]; custom_id?: string };
  guild_id?: string;
  member?: { user?: DiscordUser };
  user?: DiscordUser;
  /** The message a pressed button is on (MESSAGE_COMPONENT). */
  message?: {
    flags?: number;
    interaction_metadata?: { user?: { id?: string } };
    interaction?: { user?: { id?: string } };
  };
}

const SNOWFLAKE = /^\d{1,20}$/;
// Printable ASCII; it is URL-encoded wherever it goes into a path.
const TOKEN = /^[\x21-\x7e]{1,1000}$/;

/** Parses and checks the interaction JSON; throws 400 for anything malformed. */
export function parseInteraction(body: string): Interaction {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw new GatewayError(400, "bad_json", "The interaction is not valid JSON.");
  }
  const i = value as Partial<Interaction> | null;
  if (
    typeof i !== "object" || i === null || !Number.isInteger(i.type) ||
    typeof i.id !== "string" || !SNOWFLAKE.test(i.id) ||
    typeof i.application_id !== "string" || !SNOWFLAKE.test(i.application_id)
  ) {
    throw malformed("it lacks an id, application_id or type");
  }
  if (i.type === InteractionType.PING) return i as Interaction;
  if (typeof i.token !== "string" || !TOKEN.test(i.token)) throw malformed("its token is invalid");
  if (i.data !== undefined && (typeof i.data !== "object" || i.data === null)) {
    throw malformed("its data is not an object");
  }
  if (i.data?.options !== undefined && !Array.isArray(i.data.options)) {
    throw malformed("its options are not a list");
  }
  return i as Interaction;
}

/** The Discord account behind an interaction: `member.user` in a guild, `user` in a DM. */
export function chatAccount(interaction: Interaction): ChatAccount {
  const user = interaction.member?.user ?? interaction.user;
  if (!user || typeof user.id !== "string" || !SNOWFLAKE.test(user.id)) {
    throw malformed("it names no user");
  }
  return {
    provider: "discord",
    externalId: user.id,
    username: typeof user.username === "string" ? user.username : undefined,
    displayName: typeof user.global_name === "string" ? user.global_name : undefined,
  };
}

/** The options as named arguments for `parseArgs` (sub-command nesting is not used). */
export function optionArgs(options: readonly InteractionOption[] = []): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  for (const option of options) {
    if (option && typeof option.name === "string" && option.value !== undefined) {
      args[option.name] = option.value;
    }
  }
  return args;
}

/** The option the user is typing into, if any. */
export function focusedOption(
  options: readonly InteractionOption[] = [],
): InteractionOption | undefined {
  return options.find((o) => o?.focused === true && typeof o.name === "string");
}

function malformed(why: string): GatewayError {
  return new GatewayError(400, "invalid_args", `Malformed interaction: ${why}.`);
}
