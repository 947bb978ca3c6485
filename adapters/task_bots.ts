/**
 * What the setup tasks (`telegram:webhook`, `discord:register`, `status`) share: the variables
 * they read (the process's, or with `--local` the running local stack's), the bots they act on
 * (`--bot NAME`, `--all`, or neither), each bot's route URL on the gateway, and the commands each
 * bot offers. Bots are read by the gateway's own parsers (`_shared/bots.ts`), so a task and the
 * gateway never disagree about which bots exist or what they offer.
 */
import { offeredBy } from "../supabase/functions/_shared/bot.ts";
import { type BotBase, checkBotCommands, DEFAULT_BOT } from "../supabase/functions/_shared/bots.ts";
import { type AnyCommand, createRegistry } from "../supabase/functions/_shared/command.ts";
import { baseUrl, ConfigError } from "../supabase/functions/_shared/config_values.ts";

/** The variables a task runs with. */
export type TaskEnv = Record<string, string | undefined>;

/** A usage or configuration mistake: the task prints it as one line and exits 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * `env`, or with `--local` the variables the running local stack's gateway reads: `env`'s own
 * gateway variables over the stack's local defaults (its sinks and bots), and the stack's URL.
 */
export async function taskEnv(env: TaskEnv, local: boolean): Promise<TaskEnv> {
  if (!local) return env;
  try {
    // Loaded only for --local: the dev stack is not part of what a deployment copies.
    const { localStackEnv } = await import("../dev/local_stack.ts");
    return { ...env, ...(await localStackEnv(env)) };
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** Reads variables as the gateway does: trimmed, and empty counts as unset. */
export function getter(env: TaskEnv): (name: string) => string | undefined {
  return (name) => env[name]?.trim() || undefined;
}

/**
 * Runs a bot parser (`telegramBots`, `discordApps`); its ConfigError, which names the variable,
 * the entry and the field but never a secret, becomes a {@link UsageError}.
 */
export function readBots<B>(parse: () => B[]): B[] {
  try {
    return parse();
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
}

/** `--bot NAME` or `--all`, as parsed. */
export interface BotSelection {
  bot?: string;
  all?: boolean;
}

/**
 * The bots a task acts on: the one `--bot` names, all with `--all`, else `fallback` (the bot
 * named `default` for the setup tasks, all for `status`). `platform` names them in errors
 * ("Telegram bot", "Discord application"), which list the configured names.
 */
export function selectBots<B extends BotBase>(
  bots: readonly B[],
  selection: BotSelection,
  platform: string,
  fallback: "default" | "all" = "default",
): B[] {
  if (selection.bot !== undefined && selection.all) {
    throw new UsageError("pass --bot NAME or --all, not both.");
  }
  if (selection.all || (selection.bot === undefined && fallback === "all")) return [...bots];
  const name = selection.bot ?? DEFAULT_BOT;
  const bot = bots.find((b) => b.name === name);
  if (bot) return [bot];
  const configured = bots.map((b) => b.name).join(", ") || "none";
  const hint = selection.bot === undefined ? ": pass --bot NAME or --all" : "";
  throw new UsageError(`no ${platform} is named "${name}"${hint} (configured: ${configured}).`);
}

/**
 * The gateway function's URL from `SUPABASE_URL` (`<url>/functions/v1/gateway`), or undefined.
 * `--url` values go through here too, so both are checked the same way.
 */
export function functionUrl(supabaseUrl: string | undefined): string | undefined {
  return supabaseUrl
    ? `${checkedUrl("SUPABASE_URL", supabaseUrl)}/functions/v1/gateway`
    : undefined;
}

/** An http(s) URL without a trailing slash, or a {@link UsageError} naming `what`. */
export function checkedUrl(what: string, value: string): string {
  try {
    return baseUrl(what, value);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/**
 * A bot's route under `base`, the platform's route on the gateway (`<function URL>/telegram`):
 * the default bot's is `base` itself, another's `base/<name>`.
 */
export function botRoute(base: string, name: string): string {
  return name === DEFAULT_BOT ? base : `${base}/${name}`;
}

/**
 * The commands `bot` offers on `channel`, checked as the gateway checks them at start-up (a name
 * in its `commands` that no command has is a {@link UsageError}).
 */
export function offeredCommands(
  variable: "TELEGRAM_BOTS" | "DISCORD_APPS",
  channel: "telegram" | "discord",
  bot: BotBase,
  commands: readonly AnyCommand[],
): AnyCommand[] {
  const registry = createRegistry(commands);
  try {
    checkBotCommands(variable, channel, [bot], registry);
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
  return offeredBy(bot, channel, registry);
}

/** `text` with every secret replaced by `***` (error texts that might quote a URL or header). */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const secret of secrets) {
    if (!secret) continue;
    // As it is, and as a URL or a Basic/Bearer header would carry it (an echo may quote either).
    const forms = [secret, encodeURIComponent(secret)];
    try {
      forms.push(btoa(secret), btoa(`Bot ${secret}`));
    } catch { /* not Latin-1: no base64 copy to look for */ }
    for (const form of forms) out = out.replaceAll(form, "***");
  }
  return out;
}
