/**
 * `deno task discord:register [--local] [--guild ID] [--dry-run]`: registers the app's slash
 * commands with Discord by bulk overwrite (`PUT /applications/{id}/commands`, or the guild's
 * commands with `--guild`, which update at once and suit testing). `--dry-run` prints the JSON and
 * calls nothing. Reads DISCORD_APPLICATION_ID and DISCORD_BOT_TOKEN (not needed for --dry-run) and
 * DISCORD_API_BASE (default https://discord.com/api/v10); no Supabase variables. `--local` takes
 * them from the running local stack instead (its Discord sink and local application). The bot
 * token is sent only in the Authorization header and never printed.
 */
import type { AnyCommand } from "../../supabase/functions/_shared/command.ts";
import { commands as appCommands } from "../../supabase/functions/gateway/commands/mod.ts";
import { discordCommandsJson } from "./commands_json.ts";
import { USER_AGENT } from "./webhook.ts";

const DEFAULT_API_BASE = "https://discord.com/api/v10";
const SNOWFLAKE = /^\d{15,21}$/;
const USAGE = "Usage: deno task discord:register [--local] [--guild ID] [--dry-run]";

/** A failure the task reports as one line (and exit code 1). */
export class RegisterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RegisterError";
  }
}

/** What the task needs; everything defaults to the real process. */
export interface RegisterOptions {
  args: readonly string[];
  env: Record<string, string | undefined>;
  commands?: readonly AnyCommand[];
  fetch?: typeof fetch;
  print?: (line: string) => void;
}

/** Parsed command line. */
interface Flags {
  guild?: string;
  dryRun: boolean;
  local: boolean;
}

/** Runs the task; throws {@link RegisterError} with a one-line message on failure. */
export async function registerCommands(options: RegisterOptions): Promise<void> {
  const print = options.print ?? ((line: string) => console.log(line));
  const flags = parseFlags(options.args);
  const body = discordCommandsJson(options.commands ?? appCommands);
  if (flags.dryRun) {
    print(JSON.stringify(body, null, 2));
    return;
  }
  let vars = options.env;
  if (flags.local) {
    try {
      // Loaded only for --local: the dev stack is not part of what a deployment copies.
      const { localStackEnv } = await import("../../dev/local_stack.ts");
      vars = { ...vars, ...(await localStackEnv(vars)) };
    } catch (err) {
      throw new RegisterError((err as Error).message);
    }
  }
  const env = (name: string) => vars[name]?.trim() || undefined;
  const applicationId = env("DISCORD_APPLICATION_ID");
  const botToken = env("DISCORD_BOT_TOKEN");
  if (!applicationId) throw new RegisterError("DISCORD_APPLICATION_ID is not set.");
  if (!SNOWFLAKE.test(applicationId)) {
    throw new RegisterError("DISCORD_APPLICATION_ID must be the application's numeric id.");
  }
  if (!botToken) {
    throw new RegisterError("DISCORD_BOT_TOKEN is not set (the Bot page of the application).");
  }
  const apiBase = apiBaseUrl(env("DISCORD_API_BASE") ?? DEFAULT_API_BASE);
  const path = flags.guild
    ? `/applications/${applicationId}/guilds/${flags.guild}/commands`
    : `/applications/${applicationId}/commands`;
  let res: Response;
  try {
    res = await (options.fetch ?? fetch)(apiBase + path, {
      method: "PUT",
      headers: {
        authorization: `Bot ${botToken}`,
        "content-type": "application/json",
        "user-agent": USER_AGENT,
      },
      body: JSON.stringify(body),
    });
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new RegisterError(`Could not reach Discord at ${apiBase}: ${why}`);
  }
  const answer = await res.json().catch(() => null);
  if (!res.ok) {
    throw new RegisterError(`Discord refused the commands: ${discordError(res, answer)}`);
  }
  const names = Array.isArray(answer)
    ? answer.map((c) => `/${(c as { name?: string }).name}`)
    : body.map((c) => `/${c.name}`);
  const where = flags.guild ? `guild ${flags.guild}` : "all servers (global)";
  print(`Registered ${names.length} commands for ${where}: ${names.join(" ")}`);
}

function parseFlags(args: readonly string[]): Flags {
  const flags: Flags = { dryRun: false, local: false };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--dry-run") flags.dryRun = true;
    else if (arg === "--local") flags.local = true;
    else if (arg === "--guild" || arg.startsWith("--guild=")) {
      const value = arg === "--guild" ? args[++i] : arg.slice("--guild=".length);
      if (!value || !SNOWFLAKE.test(value)) {
        throw new RegisterError("--guild needs the server's numeric id.");
      }
      flags.guild = value;
    } else throw new RegisterError(`Unknown argument '${arg}'. ${USAGE}`);
  }
  return flags;
}

function apiBaseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new RegisterError("DISCORD_API_BASE is not a URL.");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new RegisterError("DISCORD_API_BASE must be an http(s) URL.");
  }
  return url.href.replace(/\/+$/, "");
}

/** Discord's error, in one line: status, message, code, and the first field errors. */
function discordError(res: Response, answer: unknown): string {
  const body = answer as { message?: string; code?: number; errors?: unknown } | null;
  let text = `${res.status} ${body?.message ?? res.statusText}`.trim();
  if (body?.code) text += ` (code ${body.code})`;
  const fields = body?.errors ? fieldErrors(body.errors, "").slice(0, 3) : [];
  if (fields.length) text += `: ${fields.join("; ")}`;
  return text;
}

/** Flattens Discord's nested `errors` object into `path: message` strings. */
function fieldErrors(node: unknown, path: string): string[] {
  if (typeof node !== "object" || node === null) return [];
  const out: string[] = [];
  for (const [key, value] of Object.entries(node)) {
    if (key === "_errors" && Array.isArray(value)) {
      for (const e of value) {
        out.push(`${path || "(body)"}: ${(e as { message?: string }).message}`);
      }
    } else out.push(...fieldErrors(value, path ? `${path}.${key}` : key));
  }
  return out;
}

if (import.meta.main) {
  try {
    await registerCommands({ args: Deno.args, env: Deno.env.toObject() });
  } catch (err) {
    const message = err instanceof RegisterError ? err.message : `Failed: ${String(err)}`;
    console.error(message.split("\n")[0]);
    Deno.exit(1);
  }
}
