/**
 * The simulator's reading of a Discord command line, as Discord's client reads what a user types
 * (`/link code:ABC`, `/add title:Buy milk`): the command name, then `name:value` options whose
 * values run to the next option. `name=value` is accepted too. Values are typed from the
 * registered commands (the registry's Discord JSON), as Discord types them, and what Discord's
 * client would not send (an unknown option, a missing required one, "x" for an integer) is refused.
 * Pure: no network.
 *
 * @module
 */
import {
  discordCommandsJson,
  type DiscordOptionJson,
  OptionType,
} from "../adapters/discord/commands_json.ts";
import type { AnyCommand } from "../supabase/functions/_shared/command.ts";

/** One option of the interaction's `data.options`. */
export interface SimulatedOption {
  name: string;
  type: number;
  value: string | number | boolean;
}

const OPTION_START = /(?:^|\s)([A-Za-z][\w-]*)[:=]/g;

/** Parses `[/]command [name:value …]`; throws an Error with a one-line reason. */
export function discordCommandLine(
  line: string,
  registry: readonly AnyCommand[],
): { name: string; options: SimulatedOption[] } {
  const m = /^\/?(\S+)\s*([\s\S]*)$/.exec(line.trim());
  if (!m) throw new Error("give a command, e.g. tasks or /link code:ABC");
  const [, name, tail] = m;
  const registered = discordCommandsJson(registry).find((c) => c.name === name);
  const starts = [...tail.matchAll(OPTION_START)];
  if (tail && (!starts.length || starts[0].index !== 0)) {
    const stray = tail.slice(0, starts[0]?.index ?? tail.length).trim();
    throw new Error(`"${stray}" is not an option: write options as name:value (e.g. code:ABC)`);
  }
  const options = starts.map((start, i): SimulatedOption => {
    const key = start[1];
    const value = tail.slice(start.index! + start[0].length, starts[i + 1]?.index).trim();
    const declared = registered?.options?.find((o) => o.name === key);
    if (registered && !declared) {
      const known = registered.options?.map((o) => o.name).join(", ");
      throw new Error(`/${name} has no option ${key} (${known ? `options: ${known}` : "none"})`);
    }
    return { name: key, ...typed(key, value, declared) };
  });
  for (const o of registered?.options ?? []) {
    if (o.required && !options.some((given) => given.name === o.name)) {
      throw new Error(`Discord requires ${o.name}: /${name} ${o.name}:<${o.description}>`);
    }
  }
  return { name, options };
}

function typed(
  key: string,
  raw: string,
  declared: DiscordOptionJson | undefined,
): { type: number; value: string | number | boolean } {
  const type = declared?.type ?? (/^-?\d+$/.test(raw) ? OptionType.INTEGER : OptionType.STRING);
  if (type === OptionType.INTEGER) {
    if (!/^-?\d+$/.test(raw)) throw new Error(`${key} must be a whole number, got "${raw}"`);
    return { type, value: Number(raw) };
  }
  if (type === OptionType.NUMBER) {
    if (raw === "" || !Number.isFinite(Number(raw))) {
      throw new Error(`${key} must be a number, got "${raw}"`);
    }
    return { type, value: Number(raw) };
  }
  if (type === OptionType.BOOLEAN) {
    if (!/^(true|false)$/i.test(raw)) throw new Error(`${key} must be true or false`);
    return { type, value: raw.toLowerCase() === "true" };
  }
  return { type, value: raw };
}
