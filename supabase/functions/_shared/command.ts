/**
 * The command model. A command is defined once, with a zod schema for its arguments, and serves
 * every channel: the gateway derives Telegram argument parsing, Discord option JSON, HTTP
 * validation, /help text and the HTTPS catalogue from it. `run` receives a context whose `db` is
 * the caller's RLS client.
 */
import type { SupabaseClient } from "@supabase/supabase-js";
import { z } from "zod";
import type { Logger } from "./log.ts";
import type { Channel, ChatAccount, Principal } from "./principal.ts";
import type { Reply } from "./reply.ts";
import type { AppLinks } from "./wording.ts";

/** What a command may ask of the gateway for account linking (chat channels only). */
export interface LinkingService {
  /** Links the calling chat account with the code's owner. */
  link(code: string): Promise<LinkOutcome>;
  /** Unlinks the calling chat account (through the caller's RLS client) and drops its caches. */
  unlink(): Promise<boolean>;
}

/** The result of consuming a link code, as `consume_link_code` reports it. */
export type LinkOutcome =
  | { ok: true; alreadyLinked: boolean }
  | {
    ok: false;
    reason:
      | "invalid_code"
      | "expired_code"
      | "used_code"
      | "already_linked"
      | "rate_limited";
    retryAfterSeconds?: number;
    /** Wrong codes this account may still try before it is locked out. */
    triesLeft?: number;
  };

/** Everything a command's `run` can use. */
export interface CommandContext {
  channel: Channel;
  /** The signed-in (or linked) user; null only for commands with `requires: "none"`. */
  principal: Principal | null;
  /** The caller's RLS client; throws for commands with `requires: "none"` and no user. */
  readonly db: SupabaseClient;
  /** The chat account the request came from (Telegram/Discord), if any. */
  chat: ChatAccount | null;
  /** Stable per delivery (update, interaction, Idempotency-Key); null when none was given. */
  idempotencyKey: string | null;
  linking: LinkingService | null;
  /** Public settings commands may show (the app's name, where to link, bot names). */
  links: AppLinks;
  /** The name of the bot the request came through (chat channels), else null. */
  bot: string | null;
  /** The commands offered where the request came from (the bot's, or all): for /help. */
  catalogue(): readonly AnyCommand[];
  /** Warnings for the operator's log: never a user's data, a token or a secret. */
  log: Pick<Logger, "warn">;
}

/** Where a command may be used. */
export type Requirement = "user" | "none";

/** A command's definition. */
export interface CommandSpec<S extends z.ZodObject> {
  /** Lower-case name, 1-32 characters of a-z, 0-9, `-` and `_` (Discord's rule). */
  name: string;
  /** One line, at most 100 characters (Discord's limit). */
  description: string;
  args: S;
  requires: Requirement;
  /** Channels that offer the command; all when absent. */
  channels?: readonly Channel[];
  /**
   * The command only reads. Channels may then start it alongside the delivery-ledger claim and
   * drop its result if the delivery turns out to be a repeat (one round trip less).
   */
  readOnly?: boolean;
  /**
   * The command uses only `ctx.db`'s database calls (`from`, `rpc`, `schema`), not `storage`,
   * `functions`, `auth` or realtime: after a cold start it runs without waiting for the rest of
   * supabase-js to load (about 70 ms). Leave it out when unsure: the command then waits, once.
   */
  databaseOnly?: boolean;
  /** Whether Discord replies may be shown to everyone in the channel (default: private). */
  publicReply?: boolean;
  /** Hidden from /help and registration (still callable), e.g. Telegram's /start. */
  hidden?: boolean;
  /** Suggestions for one string or number argument while the user types (Discord). */
  autocomplete?: {
    [K in keyof z.infer<S>]?: (ctx: CommandContext, partial: string) => Promise<Choice[]>;
  };
  run(ctx: CommandContext, args: z.infer<S>): Promise<Reply>;
}

/** An autocomplete suggestion. */
export interface Choice {
  name: string;
  value: string | number;
}

/** A defined command with its derived JSON Schema. */
export interface Command<S extends z.ZodObject = z.ZodObject> extends CommandSpec<S> {
  /** JSON Schema (draft 2020-12) of the arguments, as accepted on input. */
  jsonSchema: ArgsJsonSchema;
}

/** Any command, whatever its schema (the registry's element type). */
// deno-lint-ignore no-explicit-any
export type AnyCommand = Command<any>;

/** The JSON Schema of a command's arguments: always an object of named properties. */
export interface ArgsJsonSchema {
  type: "object";
  properties: Record<string, PropertySchema>;
  required?: string[];
  [key: string]: unknown;
}

/** The JSON Schema of one argument, with the keywords the channels use. */
export interface PropertySchema {
  type?: "string" | "integer" | "number" | "boolean";
  description?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  enum?: (string | number)[];
  [key: string]: unknown;
}

const NAME = /^[a-z0-9_-]{1,32}$/;
const SUPPORTED_TYPES = new Set(["string", "integer", "number", "boolean"]);

/**
 * Defines a command. A name or description the channels cannot serve is refused at once; a schema
 * they cannot serve, when its JSON Schema is first derived (by the first request that needs it:
 * /help, the catalogue, registration, a chat command's parsing, or its command's tests). Deriving
 * every command's JSON Schema at import cost a cold start about 7 ms; a first call needs its own.
 */
export function defineCommand<S extends z.ZodObject>(spec: CommandSpec<S>): Command<S> {
  if (!NAME.test(spec.name)) {
    throw new Error(`Command name '${spec.name}' must be 1-32 characters of a-z, 0-9, - or _.`);
  }
  if (!spec.description || spec.description.length > 100) {
    throw new Error(`Command '${spec.name}' needs a description of 1-100 characters.`);
  }
  let jsonSchema: ArgsJsonSchema | undefined;
  return Object.defineProperty({ ...spec } as Command<S>, "jsonSchema", {
    get: () => jsonSchema ??= argsJsonSchema(spec),
    enumerable: true,
  });
}

/** The JSON Schema of a command's arguments; throws on one the channels cannot serve. */
function argsJsonSchema(spec: CommandSpec<z.ZodObject>): ArgsJsonSchema {
  const jsonSchema = z.toJSONSchema(spec.args, { io: "input" }) as ArgsJsonSchema;
  for (const [key, prop] of Object.entries(jsonSchema.properties ?? {})) {
    if (!NAME.test(key)) {
      throw new Error(`Argument '${key}' of '${spec.name}' must be a lower-case name (Discord).`);
    }
    if (!prop.type || !SUPPORTED_TYPES.has(prop.type)) {
      throw new Error(
        `Argument '${key}' of '${spec.name}' must be a string, integer, number or boolean.`,
      );
    }
    if ((prop.description ?? "").length > 100) {
      throw new Error(`Argument '${key}' of '${spec.name}': description over 100 characters.`);
    }
  }
  jsonSchema.properties ??= {};
  return jsonSchema;
}

/** A name-indexed set of commands. */
export interface Registry {
  get(name: string): AnyCommand | undefined;
  list(): readonly AnyCommand[];
  /** Commands offered on one channel, hidden ones left out. */
  listFor(channel: Channel): readonly AnyCommand[];
}

/** Builds a registry; duplicate names are a start-up error. */
export function createRegistry(commands: readonly AnyCommand[]): Registry {
  const byName = new Map<string, AnyCommand>();
  for (const command of commands) {
    if (byName.has(command.name)) throw new Error(`Command '${command.name}' is defined twice.`);
    byName.set(command.name, command);
  }
  const all = Object.freeze([...byName.values()]);
  return {
    get: (name) => byName.get(name),
    list: () => all,
    listFor: (channel) => listedOn(all, channel),
  };
}

/** Whether `command` may be used on `channel`. */
export function offeredOn(command: AnyCommand, channel: Channel): boolean {
  return !command.channels || command.channels.includes(channel);
}

/** The commands to list on `channel` (help, menus, registration): offered there, not hidden. */
export function listedOn(commands: readonly AnyCommand[], channel: Channel): AnyCommand[] {
  return commands.filter((c) => !c.hidden && offeredOn(c, channel));
}
