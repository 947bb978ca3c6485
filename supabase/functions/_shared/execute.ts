/**
 * Running a command: arguments checked against its schema, a context built around the caller's
 * RLS client, and the neutral reply returned. Channels call this after they have proven who is
 * calling; it is the only place a command's `run` is invoked.
 */
import type { BotScope } from "./bot.ts";
import type { AnyCommand, CommandContext, LinkingService, Registry } from "./command.ts";
import { offeredOn } from "./command.ts";
import type { UserClients } from "./user_clients.ts";
import { GatewayError } from "./errors.ts";
import { type Logger, silentLogger } from "./log.ts";
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
  /** The bot the delivery came through (chat channels): its commands and words. */
  bot?: BotScope;
}

/** Runs invocations; built once per gateway. */
export interface Executor {
  run(invocation: Invocation): Promise<Reply>;
  /** The context a command (or its autocomplete) sees for this caller. */
  context(invocation: Omit<Invocation, "command" | "args">): CommandContext;
  registry: Registry;
  /** What end users are told about the app (for replies written outside commands). */
  links: CommandContext["links"];
}

/** Builds the executor. */
export function createExecutor(options: {
  registry: Registry;
  clients: UserClients;
  links: CommandContext["links"];
  /** Where commands' warnings go (default: nowhere). */
  log?: Pick<Logger, "warn">;
}): Executor {
  const { registry, clients, links, log = silentLogger } = options;
  const all = () => registry.list();
  const context = (inv: Omit<Invocation, "command" | "args">): CommandContext => {
    const principal = inv.principal;
    const bot = inv.bot;
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
      links: bot?.links ?? links,
      bot: bot?.name ?? null,
      catalogue: bot ? () => bot.commands : all,
      log,
    };
  };
  return {
    registry,
    links,
    context,
    async run(inv) {
      if (!offeredOn(inv.command, inv.channel) || (inv.bot && !inv.bot.offers(inv.command))) {
        throw new GatewayError(
          404,
          "unknown_command",
          `/${inv.command.name} is not available here.`,
        );
      }
      if (inv.command.requires === "user" && !inv.principal) {
        throw new GatewayError(401, "not_linked", "Sign in (or link this account) first.");
      }
      if (inv.principal) {
        await clients.ready();
        // Commands that may use storage, functions or auth wait for the rest of supabase-js (once,
        // after a cold start); database-only ones start as soon as PostgREST's client is there.
        if (!inv.command.databaseOnly) await clients.full();
      }
      return await inv.command.run(context(inv), inv.args);
    },
  };
}
