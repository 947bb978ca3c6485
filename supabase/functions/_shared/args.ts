/**
 * Checking a command's raw arguments against its zod schema, with errors a person can act on:
 * one sentence per problem, naming the argument by its description and ending with an example in
 * the syntax of the channel ("The task number must be a number, e.g. /done 3"). Unknown keys are
 * dropped (a caller cannot smuggle `user_id` into a row). Text that is not well-formed Unicode (a
 * lone UTF-16 surrogate, as cutting an emoji with `.slice()` leaves) or holds a NUL character is
 * refused for every command, before any database sees it.
 */
import type { z } from "zod";
import type { AnyCommand, PropertySchema } from "./command.ts";
import { GatewayError } from "./errors.ts";
import type { Channel } from "./principal.ts";
import { example } from "./wording.ts";

/** One problem with one argument, as `details.fields` lists it. */
interface FieldProblem {
  field: string;
  problem: string;
}

/**
 * The checked arguments, or a 400 `invalid_args` whose message says what to send instead (in the
 * syntax of `channel`; `prefix`: a Slack app's command prefix).
 */
export function parseArgs(
  command: AnyCommand,
  raw: unknown,
  channel: Channel = "http",
  prefix = "",
): unknown {
  const input = (typeof raw === "object" && raw !== null ? raw : {}) as Record<string, unknown>;
  const broken = illFormedField(input);
  if (broken !== undefined) {
    const field = broken || "(arguments)";
    throw refusal(command, channel, prefix, [{
      field,
      problem: `${label(command, field)} has a broken character (a cut emoji or a NUL byte)`,
    }]);
  }
  const result = (command.args as z.ZodObject).safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue): FieldProblem => {
    const field = issue.path.join(".") || "(arguments)";
    const prop = command.jsonSchema.properties[field];
    return { field, problem: sentence(label(command, field), issue, prop, input[field]) };
  });
  throw refusal(command, channel, prefix, problems);
}

function refusal(
  command: AnyCommand,
  channel: Channel,
  prefix: string,
  problems: FieldProblem[],
): GatewayError {
  const first = problems[0];
  const text = problems.map((p) => `${p.problem}.`).join(" ");
  const eg = first ? example(command, channel, first.field, undefined, prefix) : undefined;
  return new GatewayError(400, "invalid_args", eg ? `${text.slice(0, -1)}, e.g. ${eg}` : text, {
    fields: problems,
  });
}

/** How an argument is named to people: its description, else its name. */
function label(command: AnyCommand, field: string): string {
  const described = command.jsonSchema.properties[field]?.description;
  const name = described || `The ${field}`;
  return name.charAt(0).toUpperCase() + name.slice(1);
}

type Issue = z.core.$ZodIssue;

function sentence(
  name: string,
  issue: Issue,
  prop: PropertySchema | undefined,
  given: unknown,
): string {
  const i = issue as Issue & {
    expected?: string;
    origin?: string;
    minimum?: number | bigint;
    maximum?: number | bigint;
    inclusive?: boolean;
  };
  if (given === undefined && issue.code === "invalid_type") return `${name} is missing`;
  switch (issue.code) {
    case "invalid_type":
      if (i.expected === "int" || prop?.type === "integer") return `${name} must be a whole number`;
      if (i.expected === "number") return `${name} must be a number`;
      if (i.expected === "boolean") return `${name} must be yes or no`;
      return `${name} must be text`;
    case "too_small":
      if (i.origin === "string") {
        return Number(i.minimum) <= 1
          ? `${name} must not be empty`
          : `${name} must be at least ${i.minimum} characters`;
      }
      return i.inclusive === false
        ? `${name} must be more than ${i.minimum}`
        : `${name} must be at least ${i.minimum}`;
    case "too_big":
      if (i.origin === "string") return `${name} must be at most ${i.maximum} characters`;
      return i.inclusive === false
        ? `${name} must be less than ${i.maximum}`
        : `${name} must be at most ${i.maximum}`;
    case "invalid_format":
      return `${name} is not valid (${issue.message})`;
    case "invalid_value":
      return `${name} must be one of ${(prop?.enum ?? []).join(", ")}`;
    default:
      return `${name}: ${issue.message}`;
  }
}

/** The path of the first string in `value` that is ill-formed or holds NUL, if any. */
function illFormedField(value: unknown, path = "", depth = 0): string | undefined {
  if (typeof value === "string") {
    return !value.isWellFormed() || value.includes("\u0000") ? path : undefined;
  }
  if (typeof value !== "object" || value === null || depth > 8) return undefined;
  for (const [key, inner] of Object.entries(value)) {
    const found = illFormedField(key, path, depth) ??
      illFormedField(inner, path ? `${path}.${key}` : key, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}
