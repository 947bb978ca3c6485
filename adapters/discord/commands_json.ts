/**
 * Discord application command JSON from the registry, for registration (bulk overwrite). Each
 * command offered on Discord and not hidden becomes a slash command (type 1) whose options come
 * from the JSON Schema of its arguments: types, required (required options first, as Discord
 * demands), string lengths, number bounds, enum choices, and autocomplete where the command can
 * suggest values. Pure: no network, no environment.
 */
import type {
  AnyCommand,
  ArgsJsonSchema,
  PropertySchema,
} from "../../supabase/functions/_shared/command.ts";
import { listedOn } from "../../supabase/functions/_shared/command.ts";

/** Discord's application command option types for the argument types the registry allows. */
export const OptionType = { STRING: 3, INTEGER: 4, BOOLEAN: 5, NUMBER: 10 } as const;

/** One option of a slash command. */
export interface DiscordOptionJson {
  type: number;
  name: string;
  description: string;
  required?: boolean;
  min_length?: number;
  max_length?: number;
  min_value?: number;
  max_value?: number;
  choices?: { name: string; value: string | number }[];
  autocomplete?: boolean;
}

/** One slash command, as `PUT /applications/{id}/commands` takes it. */
export interface DiscordCommandJson {
  type: 1;
  name: string;
  description: string;
  options?: DiscordOptionJson[];
  /** Interaction contexts: 0 guild, 1 bot DM, 2 private channel. */
  contexts?: number[];
  /** Installation contexts: 0 guild install, 1 user install. */
  integration_types?: number[];
}

/** Optional settings applied to every command. */
export interface CommandsJsonOptions {
  contexts?: number[];
  integrationTypes?: number[];
}

/** Discord's bounds for numeric options (its API numbers are doubles). */
const DISCORD_MAX_NUMBER = 2 ** 53;
/** Discord's bounds for string option lengths. */
const MAX_STRING_LENGTH = 6_000;
const MAX_CHOICES = 25;

/** The slash commands for `commands`: those offered on Discord and not hidden, in order. */
export function discordCommandsJson(
  commands: readonly AnyCommand[],
  options: CommandsJsonOptions = {},
): DiscordCommandJson[] {
  return listedOn(commands, "discord")
    .map((command) => {
      const json: DiscordCommandJson = {
        type: 1,
        name: command.name,
        description: command.description,
      };
      const opts = commandOptions(command);
      if (opts.length) json.options = opts;
      if (options.contexts) json.contexts = [...options.contexts];
      if (options.integrationTypes) json.integration_types = [...options.integrationTypes];
      return json;
    });
}

function commandOptions(command: AnyCommand): DiscordOptionJson[] {
  const schema: ArgsJsonSchema = command.jsonSchema;
  const required = new Set(schema.required ?? []);
  const all = Object.entries(schema.properties).map(([name, prop]) =>
    optionJson(name, prop, required.has(name), Boolean(command.autocomplete?.[name]))
  );
  // Discord rejects a required option after an optional one; keep the order otherwise.
  return [...all.filter((o) => o.required), ...all.filter((o) => !o.required)];
}

function optionJson(
  name: string,
  prop: PropertySchema,
  required: boolean,
  autocomplete: boolean,
): DiscordOptionJson {
  const type = optionType(prop);
  const option: DiscordOptionJson = {
    type,
    name,
    description: (prop.description ?? "").trim().slice(0, 100) || name,
  };
  if (required) option.required = true;
  if (type === OptionType.STRING) {
    if (typeof prop.minLength === "number") {
      option.min_length = clamp(prop.minLength, 0, MAX_STRING_LENGTH);
    }
    if (typeof prop.maxLength === "number") {
      option.max_length = clamp(prop.maxLength, 1, MAX_STRING_LENGTH);
    }
  }
  if (type === OptionType.INTEGER || type === OptionType.NUMBER) {
    const integer = type === OptionType.INTEGER;
    const min = lowerBound(prop, integer);
    const max = upperBound(prop, integer);
    if (min !== undefined) option.min_value = clamp(min, -DISCORD_MAX_NUMBER, DISCORD_MAX_NUMBER);
    if (max !== undefined) option.max_value = clamp(max, -DISCORD_MAX_NUMBER, DISCORD_MAX_NUMBER);
  }
  if (Array.isArray(prop.enum) && prop.enum.length && type !== OptionType.BOOLEAN) {
    option.choices = prop.enum.slice(0, MAX_CHOICES).map((value) => ({
      name: String(value).slice(0, 100),
      value,
    }));
  } else if (autocomplete && type !== OptionType.BOOLEAN) {
    // Discord allows autocomplete only on string and number options without fixed choices.
    option.autocomplete = true;
  }
  return option;
}

function optionType(prop: PropertySchema): number {
  switch (prop.type) {
    case "integer":
      return OptionType.INTEGER;
    case "number":
      return OptionType.NUMBER;
    case "boolean":
      return OptionType.BOOLEAN;
    default:
      return OptionType.STRING;
  }
}

/** `minimum`, or the value just above `exclusiveMinimum` for integers (the bound otherwise). */
function lowerBound(prop: PropertySchema, integer: boolean): number | undefined {
  const exclusive = prop.exclusiveMinimum;
  if (typeof exclusive === "number") {
    const bound = integer ? Math.floor(exclusive) + 1 : exclusive;
    return typeof prop.minimum === "number" ? Math.max(prop.minimum, bound) : bound;
  }
  return typeof prop.minimum === "number"
    ? (integer ? Math.ceil(prop.minimum) : prop.minimum)
    : undefined;
}

/** `maximum`, or the value just below `exclusiveMaximum` for integers (the bound otherwise). */
function upperBound(prop: PropertySchema, integer: boolean): number | undefined {
  const exclusive = prop.exclusiveMaximum;
  if (typeof exclusive === "number") {
    const bound = integer ? Math.ceil(exclusive) - 1 : exclusive;
    return typeof prop.maximum === "number" ? Math.min(prop.maximum, bound) : bound;
  }
  return typeof prop.maximum === "number"
    ? (integer ? Math.floor(prop.maximum) : prop.maximum)
    : undefined;
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
