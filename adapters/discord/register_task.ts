/**
 * `deno task discord:register [--local] [--bot NAME | --all] [--guild ID] [--dry-run]
 * [--endpoint [--url URL]]`: registers each chosen application's slash commands (only those it
 * offers: its `commands`) by bulk overwrite with its own bot token and application id
 * (`PUT /applications/{id}/commands`, or a guild's with `--guild`, which update at once and suit
 * testing). No flag: the application named `default` (the single-app variables); `--bot NAME`:
 * one; `--all`: every one. `--dry-run` prints the JSON and calls nothing (with no application
 * configured, the whole registry's). `--endpoint` also sets the application's Interactions
 * Endpoint URL (`PATCH /applications/@me`) to its route on the gateway:
 * `$SUPABASE_URL/functions/v1/gateway/discord` for `default`, that plus `/NAME` for the others;
 * `--url URL` replaces the Discord route (`default` gets URL, NAME gets `URL/NAME`). Discord
 * accepts the URL only once the deployed gateway answers its signed PING with that application's
 * public key. Applications are read as the gateway reads them (DISCORD_PUBLIC_KEY,
 * DISCORD_APPLICATION_ID, DISCORD_BOT_TOKEN, DISCORD_API_BASE, DISCORD_APPS); `--local` takes them
 * from the running local stack. A bot token is sent only in the Authorization header, never
 * printed.
 */
import type { AnyCommand } from "../../supabase/functions/_shared/command.ts";
import { type DiscordApp, discordApps } from "../../supabase/functions/_shared/bots.ts";
import { commands as appCommands } from "../../supabase/functions/gateway/commands/mod.ts";
import {
  botRoute,
  checkedUrl,
  functionUrl,
  getter,
  offeredCommands,
  readBots,
  selectBots,
  taskEnv,
  UsageError,
} from "../task_bots.ts";
import { discordCommandsJson } from "./commands_json.ts";
import { discordRequest, DiscordRestError } from "./rest.ts";

const SNOWFLAKE = /^\d{15,21}$/;
const USAGE = "Usage: deno task discord:register [--local] [--bot NAME | --all] [--guild ID] " +
  "[--dry-run] [--endpoint [--url URL]]";

/** A failure the task reports as one line; exit code 2 for usage and settings, else 1. */
export class RegisterError extends Error {
  constructor(message: string, readonly exitCode = 1) {
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
  bot?: string;
  all: boolean;
  dryRun: boolean;
  local: boolean;
  endpoint: boolean;
  url?: string;
}

/** Runs the task; throws {@link RegisterError} with a one-line message on failure. */
export async function registerCommands(options: RegisterOptions): Promise<void> {
  try {
    await register(options);
  } catch (err) {
    if (err instanceof UsageError) throw new RegisterError(err.message, 2);
    throw err;
  }
}

async function register(options: RegisterOptions): Promise<void> {
  const print = options.print ?? ((line: string) => console.log(line));
  const registry = options.commands ?? appCommands;
  const flags = parseFlags(options.args);
  const get = getter(await taskEnv(options.env, flags.local));
  const apps = readBots(() => discordApps(get));
  if (!apps.length && flags.dryRun && !flags.bot && !flags.all) {
    print(JSON.stringify(discordCommandsJson(registry), null, 2)); // what `default` would offer
    return;
  }
  if (!apps.length) {
    // (An application id or bot token without the public key was refused when reading the apps.)
    throw new UsageError(
      "no Discord application is configured: set DISCORD_PUBLIC_KEY, DISCORD_APPLICATION_ID " +
        "and DISCORD_BOT_TOKEN, or DISCORD_APPS.",
    );
  }
  const chosen = selectBots(apps, flags, "Discord application");
  // Every application is checked before anything is sent: a typo changes nothing anywhere.
  const bodies = chosen.map((app) =>
    discordCommandsJson(offeredCommands("DISCORD_APPS", "discord", app, registry))
  );
  if (flags.dryRun) {
    const byName = Object.fromEntries(chosen.map((app, i) => [app.name, bodies[i]]));
    print(JSON.stringify(flags.all ? byName : bodies[0], null, 2));
    return;
  }
  const missing = chosen.find((app) => !app.botToken);
  if (missing) throw new UsageError(noBotToken(missing));
  const gateway = functionUrl(get("SUPABASE_URL"));
  const base = flags.url ? checkedUrl("--url", flags.url) : gateway && `${gateway}/discord`;
  if (flags.endpoint && !base) {
    throw new UsageError(
      "--endpoint needs the gateway's URL: set SUPABASE_URL or pass " +
        "--url https://<project>.supabase.co/functions/v1/gateway/discord.",
    );
  }
  let failed = 0;
  for (const [i, app] of chosen.entries()) {
    const label = `${app.name} (app ${app.applicationId})`;
    try {
      print(`${label}: ${await putCommands(app, bodies[i], flags.guild, options.fetch)}`);
      if (flags.endpoint) {
        const url = botRoute(base!, app.name);
        await discordRequest(restOf(app, options.fetch), "PATCH", "/applications/@me", {
          interactions_endpoint_url: url,
        }).catch((err) => {
          throw err instanceof DiscordRestError && err.status
            ? new RegisterError(`Discord refused the interactions endpoint URL: ${err.message}`)
            : err;
        });
        print(`${label}: interactions endpoint URL set to ${url}`);
      }
    } catch (err) {
      const error = err instanceof DiscordRestError ? new RegisterError(err.message) : err;
      if (chosen.length === 1 || !(error instanceof RegisterError)) throw error;
      failed++;
      print(`error: ${label}: ${error.message}`);
    }
  }
  if (failed) throw new RegisterError(`${failed} of ${chosen.length} applications failed.`);
}

/** Bulk overwrite; answers the line to print. */
async function putCommands(
  app: DiscordApp,
  body: unknown[],
  guild: string | undefined,
  fetcher: typeof fetch | undefined,
): Promise<string> {
  const path = guild
    ? `/applications/${app.applicationId}/guilds/${guild}/commands`
    : `/applications/${app.applicationId}/commands`;
  let answer: unknown;
  try {
    answer = await discordRequest(restOf(app, fetcher), "PUT", path, body);
  } catch (err) {
    if (!(err instanceof DiscordRestError) || !err.status) throw err;
    throw new RegisterError(`Discord refused the commands: ${err.message}`);
  }
  const names = (Array.isArray(answer) ? answer : body).map((c) =>
    `/${(c as { name?: string }).name}`
  );
  const where = guild ? `guild ${guild}` : "all servers (global)";
  return `Registered ${names.length} commands for ${where}: ${names.join(" ")}`;
}

function restOf(app: DiscordApp, fetcher: typeof fetch | undefined) {
  return { apiBase: app.apiBase, botToken: app.botToken!, fetch: fetcher };
}

function noBotToken(app: DiscordApp): string {
  return app.name === "default"
    ? "DISCORD_BOT_TOKEN is not set (the Bot page of the application)."
    : `DISCORD_APPS entry "${app.name}" has no botToken (the Bot page of the application).`;
}

function parseFlags(args: readonly string[]): Flags {
  const flags: Flags = { dryRun: false, local: false, all: false, endpoint: false };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const [name] = arg.split("=", 1);
    if (arg === "--dry-run") flags.dryRun = true;
    else if (arg === "--local") flags.local = true;
    else if (arg === "--all") flags.all = true;
    else if (arg === "--endpoint") flags.endpoint = true;
    else if (name === "--guild" || name === "--bot" || name === "--url") {
      const given = arg.includes("=") ? arg.slice(name.length + 1) : args[++i];
      if (name === "--guild" && (!given || !SNOWFLAKE.test(given))) {
        throw new UsageError("--guild needs the server's numeric id.");
      }
      if (!given) throw new UsageError(`${name} needs a value. ${USAGE}`);
      flags[name.slice(2) as "guild" | "bot" | "url"] = given;
    } else throw new UsageError(`Unknown argument '${arg}'. ${USAGE}`);
  }
  if (flags.url && !flags.endpoint) {
    throw new UsageError("--url is the interactions endpoint's: pass it with --endpoint.");
  }
  return flags;
}

if (import.meta.main) {
  try {
    await registerCommands({ args: Deno.args, env: Deno.env.toObject() });
  } catch (err) {
    const known = err instanceof RegisterError;
    console.error(known ? err.message.split("\n")[0] : `Failed: ${String(err)}`);
    Deno.exit(known ? err.exitCode : 1);
  }
}
