/**
 * Discord sink helper: application commands. Serves `GET`/`PUT` (bulk overwrite) on
 * `/applications/{app}/commands` and `/applications/{app}/guilds/{guild}/commands`, requiring
 * an `Authorization: Bot …` (or `Bearer …`) header and validating each command roughly like
 * Discord (names, descriptions, option count, required-before-optional), answering with the
 * stored commands and their generated ids (kept for a command whose name and type survive).
 *
 * @module
 */

import {
  addError,
  DiscordError,
  type FormErrors,
  httpError,
  lengthMessage,
  throwIfInvalid,
} from "./discord_errors.ts";

type Json = Record<string, unknown>;
type Path = (string | number)[];

const NAME = /^[-_\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$/u;
const isObject = (v: unknown): v is Json =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const NOT_LIST = "Only iterables may be used in a ListType";
const NOT_DICT = "Only dictionaries may be used in a DictType";

function checkName(errors: FormErrors, path: Path, name: unknown, strict: boolean): void {
  const at = [...path, "name"];
  if (name === undefined || name === null) {
    addError(errors, at, "BASE_TYPE_REQUIRED", "This field is required");
  } else if (typeof name !== "string" || name.length < 1 || name.length > 32) {
    addError(errors, at, "BASE_TYPE_BAD_LENGTH", lengthMessage.between(1, 32));
  } else if (strict && (!NAME.test(name) || name !== name.toLowerCase())) {
    addError(errors, at, "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid");
  }
}

function checkDescription(errors: FormErrors, path: Path, value: unknown): void {
  const at = [...path, "description"];
  if (value === undefined || value === null) {
    addError(errors, at, "BASE_TYPE_REQUIRED", "This field is required");
  } else if (typeof value !== "string" || value.length < 1 || value.length > 100) {
    addError(errors, at, "BASE_TYPE_BAD_LENGTH", lengthMessage.between(1, 100));
  }
}

function checkOptions(errors: FormErrors, path: Path, options: unknown, depth = 0): void {
  if (!Array.isArray(options)) return addError(errors, path, "BASE_TYPE_ARRAY", NOT_LIST);
  if (options.length > 25) {
    addError(errors, path, "BASE_TYPE_MAX_LENGTH", lengthMessage.max(25));
  }
  let optionalSeen = false;
  options.forEach((option, j) => {
    if (!isObject(option)) return addError(errors, [...path, j], "DICT_TYPE_CONVERT", NOT_DICT);
    const type = option.type;
    if (typeof type !== "number" || !Number.isInteger(type) || type < 1 || type > 11) {
      const message = "Value must be one of {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}.";
      addError(errors, [...path, j, "type"], "BASE_TYPE_CHOICES", message);
    }
    checkName(errors, [...path, j], option.name, true);
    checkDescription(errors, [...path, j], option.description);
    if (Array.isArray(option.choices) && option.choices.length > 25) {
      addError(errors, [...path, j, "choices"], "BASE_TYPE_MAX_LENGTH", lengthMessage.max(25));
    }
    if (type === 1 || type === 2) { // sub-command (group): its own option list
      if (option.options !== undefined && depth < 2) {
        checkOptions(errors, [...path, j, "options"], option.options, depth + 1);
      }
      return;
    }
    if (option.required !== true) optionalSeen = true;
    else if (optionalSeen) {
      const message = "Required options must be placed before non-required options";
      addError(errors, path, "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID", message);
    }
  });
}

/** Validates a bulk-overwrite body; throws {@link DiscordError} 400/50035 when invalid. */
export function validateCommands(input: unknown): Json[] {
  const errors: FormErrors = {};
  if (!Array.isArray(input)) {
    addError(errors, [], "BASE_TYPE_ARRAY", NOT_LIST);
    throwIfInvalid(errors);
    return [];
  }
  if (input.length > 100) addError(errors, [], "BASE_TYPE_MAX_LENGTH", lengthMessage.max(100));
  const seen = new Set<string>();
  input.forEach((command, i) => {
    if (!isObject(command)) return addError(errors, [i], "DICT_TYPE_CONVERT", NOT_DICT);
    const type = command.type ?? 1;
    if (![1, 2, 3, 4].includes(type as number)) {
      addError(errors, [i, "type"], "BASE_TYPE_CHOICES", "Value must be one of {1, 2, 3, 4}.");
    }
    checkName(errors, [i], command.name, type === 1);
    if (type === 1) checkDescription(errors, [i], command.description);
    if (type === 1 && command.options !== undefined) {
      checkOptions(errors, [i, "options"], command.options);
    }
    const key = `${type}:${command.name}`;
    if (seen.has(key)) {
      const message = "Application command names must be unique";
      addError(errors, [], "APPLICATION_COMMANDS_DUPLICATE_NAME", message);
    }
    seen.add(key);
  });
  throwIfInvalid(errors);
  return input as Json[];
}

/** Stored application commands of every application (global and per guild). */
export class CommandStore {
  #sets = new Map<string, Json[]>();

  /** Creates a store whose ids come from `snowflake(nowMs)`. */
  constructor(readonly snowflake: (nowMs: number) => string) {}

  /** The stored commands (a copy). */
  list(applicationId: string, guildId?: string): Json[] {
    return [...(this.#sets.get(`${applicationId}|${guildId ?? ""}`) ?? [])];
  }

  /** Forgets every command. */
  clear(): void {
    this.#sets.clear();
  }

  /** Answers GET or PUT on a commands path; throws {@link DiscordError}. */
  route(
    req: Request,
    body: unknown,
    applicationId: string,
    guildId: string | undefined,
    now: number,
  ) {
    const method = req.method.toUpperCase();
    if (method !== "GET" && method !== "PUT") throw httpError(405);
    if (!/^(Bot|Bearer) \S+$/.test(req.headers.get("authorization") ?? "")) {
      throw new DiscordError(401, { message: "401: Unauthorized", code: 0 });
    }
    if (method === "GET") return this.list(applicationId, guildId);
    const previous = this.list(applicationId, guildId);
    const stored = validateCommands(body).map((c): Json => {
      const type = c.type ?? 1;
      const old = previous.find((p) => p.name === c.name && p.type === type);
      return {
        id: old?.id ?? this.snowflake(now),
        application_id: applicationId,
        version: this.snowflake(now),
        default_member_permissions: c.default_member_permissions ?? null,
        type,
        name: c.name,
        name_localizations: c.name_localizations ?? null,
        description: c.description ?? "",
        description_localizations: c.description_localizations ?? null,
        ...(guildId ? { guild_id: guildId } : {}),
        ...(c.options ? { options: c.options } : {}),
        nsfw: c.nsfw ?? false,
        integration_types: c.integration_types ?? [0],
        contexts: c.contexts ?? null,
      };
    });
    this.#sets.set(`${applicationId}|${guildId ?? ""}`, stored);
    return [...stored];
  }
}
