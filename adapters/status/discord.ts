/**
 * A Discord application as Discord sees it, against what the gateway serves: the application
 * (`GET /applications/@me`: which application the token is, its public key, its interactions
 * endpoint URL) and its global commands (`GET /applications/{id}/commands`), compared on what
 * users meet (names, descriptions, options), not on ids and versions. Pure: the status task
 * fetches, this compares.
 */
import type { DiscordCommandJson } from "../discord/commands_json.ts";
import { type Finding, servedAt } from "./finding.ts";

/** What the gateway serves for one application. */
export interface DiscordExpected {
  applicationId: string;
  /** The public key the gateway checks signatures with. */
  publicKey: string;
  /** The application's route URL on the gateway. */
  endpointUrl: string;
  /** Other URLs the gateway serves the application at (the default one's `<route>/default`). */
  aliases?: readonly string[];
  /** `discordCommandsJson` of the commands it offers. */
  commands: readonly DiscordCommandJson[];
}

/** The fields of Discord's application object that matter here. */
export interface ApplicationSeen {
  id: string;
  verify_key: string;
  interactions_endpoint_url?: string | null;
}

/** What Discord answered. */
export interface DiscordSeen {
  application: ApplicationSeen;
  /** The registered global commands, as Discord lists them. */
  commands: readonly unknown[];
}

type Json = Record<string, unknown>;

/** The differences between what Discord sees and what the gateway serves, most important first. */
export function discordDrift(expected: DiscordExpected, seen: DiscordSeen): Finding[] {
  const app = seen.application;
  if (app.id !== expected.applicationId) {
    // Everything else Discord said is about another application.
    return [{
      what: `the bot token is application ${app.id}'s, not ${expected.applicationId}'s: ` +
        "give each application its own bot token",
    }];
  }
  const findings: Finding[] = [];
  if (app.verify_key.toLowerCase() !== expected.publicKey.toLowerCase()) {
    findings.push({
      what: `public key differs from Discord's (${app.verify_key}): ` +
        "the gateway refuses every interaction of this application",
    });
  }
  const url = app.interactions_endpoint_url;
  if (!servedAt(url, expected.endpointUrl, expected.aliases)) {
    findings.push({
      what: url
        ? `interactions endpoint URL is ${url}, not this gateway's ${expected.endpointUrl}`
        : `no interactions endpoint URL is set (this gateway's is ${expected.endpointUrl})`,
      fix: "discord:endpoint",
    });
  }
  const commands = commandsDrift(expected.commands, seen.commands);
  if (commands) findings.push({ what: commands, fix: "discord:register" });
  return findings;
}

/** What differs between the offered and the registered commands, in one line. */
function commandsDrift(
  expected: readonly DiscordCommandJson[],
  seen: readonly unknown[],
): string | undefined {
  const seenBy = new Map(
    seen.filter(isObject).filter((c) => (c.type ?? 1) === 1).map((c) => [String(c.name), c]),
  );
  if (!seenBy.size && expected.length) return "no commands are registered";
  const expectedNames = new Set(expected.map((c) => c.name));
  const missing = expected.filter((c) => !seenBy.has(c.name)).map((c) => `/${c.name}`);
  const extra = [...seenBy.keys()].filter((n) => !expectedNames.has(n)).map((n) => `/${n}`);
  const changed = expected.flatMap((c) => {
    const other = seenBy.get(c.name);
    const fields = other ? commandFields(c as unknown as Json, other) : [];
    return fields.length ? [`/${c.name} (${fields.join(", ")})`] : [];
  });
  const parts = [];
  if (missing.length) parts.push(`missing ${missing.join(", ")}`);
  if (extra.length) parts.push(`registers ${extra.join(", ")}, which this app does not offer`);
  if (changed.length) parts.push(`${changed.join(", ")} differ${changed.length > 1 ? "" : "s"}`);
  return parts.length ? `registered commands are stale: ${parts.join("; ")}` : undefined;
}

/** The fields of a command that differ: description, and each option by name. */
function commandFields(expected: Json, seen: Json): string[] {
  const fields = [];
  if (expected.description !== seen.description) fields.push("description");
  for (const key of ["contexts", "integration_types"]) {
    // Only when the gateway sets them: Discord fills in defaults otherwise.
    if (key in expected && !same(expected[key], seen[key])) fields.push(key);
  }
  fields.push(...optionsDrift(list(expected.options), list(seen.options)));
  return fields;
}

function optionsDrift(expected: Json[], seen: Json[]): string[] {
  const out: string[] = [];
  const seenBy = new Map(seen.map((o) => [String(o.name), o]));
  for (const option of expected) {
    const other = seenBy.get(String(option.name));
    if (!other) {
      out.push(`option ${option.name} missing`);
      continue;
    }
    const [want, have] = [optionShape(option), optionShape(other)];
    const keys = Object.keys(want).filter((k) => !same(want[k], have[k]));
    if (keys.length) out.push(`option ${option.name}: ${keys.join(", ")}`);
  }
  const names = new Set(expected.map((o) => String(o.name)));
  for (const option of seen) {
    if (!names.has(String(option.name))) out.push(`option ${option.name} not offered`);
  }
  if (!out.length && expected.some((o, i) => o.name !== seen[i]?.name)) out.push("option order");
  return out;
}

/** An option as users meet it; Discord omits false flags and adds localizations. */
function optionShape(o: Json): Json {
  return {
    type: o.type,
    description: o.description,
    required: o.required === true,
    autocomplete: o.autocomplete === true,
    min_length: o.min_length,
    max_length: o.max_length,
    min_value: o.min_value,
    max_value: o.max_value,
    choices: list(o.choices).map((c) => ({ name: c.name, value: c.value })),
    options: list(o.options).map((n) => ({ name: n.name, ...optionShape(n) })),
    channel_types: o.channel_types,
  };
}

function list(value: unknown): Json[] {
  return Array.isArray(value) ? value.filter(isObject) : [];
}

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Deep equality of JSON values; undefined and absent are the same. */
function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
