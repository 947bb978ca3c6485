/**
 * Running a command: arguments checked against its schema, a context built around the caller's
 * RLS client, and the neutral reply returned. Channels call this after they have proven who is
 * calling; it is the only place a command's `run` is invoked.
 */
import type { z } from "zod";
import type { AnyCommand, CommandContext, LinkingService, Registry } from "./command.ts";
import { offeredOn } from "./command.ts";
import type { UserClients } from "./db.ts";
import { GatewayError } from "./errors.ts";
import type { Channel, ChatAccount, Principal } from "./principal.ts";
import type { Reply } from "./reply.ts";

/** One call of one command. */
export interface Invocation {
  channel: Channel;
  command: AnyCommand;
  /** Arguments already checked by {@link parseArgs}. */
  args: unknown;
  principal: Principal | null;
  chat: ChatAccount | null;
  idempotencyKey: string | null;
  linking: LinkingService | null;
}

/** Runs invocations; built once per gateway. */
export interface Executor {
  run(invocation: Invocation): Promise<Reply>;
  /** The context a command (or its autocomplete) sees for this caller. */
  context(invocation: Omit<Invocation, "command" | "args">): CommandContext;
  registry: Registry;
}

/** Builds the executor. */
export function createExecutor(options: {
  registry: Registry;
  clients: UserClients;
  links: CommandContext["links"];
}): Executor {
  const { registry, clients, links } = options;
  const catalogue = () => registry.list();
  const context = (inv: Omit<Invocation, "command" | "args">): CommandContext => {
    const principal = inv.principal;
    return {
      channel: inv.channel,
      principal,
      get db() {
        if (!principal) {
          throw new GatewayError(401, "not_linked", "Sign in (or link this account) first.");
        }
        return clients.forToken(principal.token, principal.expiresAt);
      },
      chat: inv.chat,
      idempotencyKey: inv.idempotencyKey,
      linking: inv.linking,
      links,
      catalogue,
    };
  };
  return {
    registry,
    context,
    run(inv) {
      if (!offeredOn(inv.command, inv.channel)) {
        throw new GatewayError(
          404,
          "unknown_command",
          `/${inv.command.name} is not available here.`,
        );
      }
      if (inv.command.requires === "user" && !inv.principal) {
        throw new GatewayError(401, "not_linked", "Sign in (or link this account) first.");
      }
      return inv.command.run(context(inv), inv.args);
    },
  };
}

/**
 * Checks raw arguments against the command's schema. Unknown keys are dropped (a caller cannot
 * smuggle `user_id` into a row); wrong types give 400 `invalid_args` naming each field. Text that
 * is not well-formed Unicode (a lone UTF-16 surrogate, as cutting an emoji with `.slice()` leaves)
 * or holds a NUL character is refused for every command, before any database sees it.
 */
export function parseArgs(command: AnyCommand, raw: unknown): unknown {
  const bad = illFormedField(raw);
  if (bad !== undefined) {
    const field = bad || "(arguments)";
    throw new GatewayError(
      400,
      "invalid_args",
      `Invalid arguments for ${command.name}: ${field}: text with a broken character ` +
        "(a cut emoji or a NUL byte).",
      { fields: [{ field, problem: "ill-formed text" }] },
    );
  }
  const result = (command.args as z.ZodObject).safeParse(raw ?? {});
  if (result.success) return result.data;
  const fields = result.error.issues.map((issue) => ({
    field: issue.path.join(".") || "(arguments)",
    problem: issue.message,
  }));
  throw new GatewayError(
    400,
    "invalid_args",
    `Invalid arguments for ${command.name}: ` +
      fields.map((f) => `${f.field}: ${f.problem}`).join("; "),
    { fields },
  );
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
