/**
 * Running a command for a chat account (Telegram, Discord): the account becomes the linked user,
 * an unlinked account is told how to link, arguments are checked, and the command runs with the
 * delivery as its idempotency key. Final failures become the text to show; failures a retry can
 * fix (>= 500) are thrown so the channel can ask its platform to retry.
 */
import type { AnyCommand } from "./command.ts";
import type { Core } from "./core.ts";
import { asGatewayError, GatewayError } from "./errors.ts";
import { parseArgs } from "./execute.ts";
import type { RequestRecord } from "./log.ts";
import type { ChatAccount } from "./principal.ts";

/** One command from a chat account. */
export interface ChatRequest {
  account: ChatAccount;
  command: AnyCommand;
  /** Arguments as the platform delivered them, before the schema's check. */
  rawArgs: Record<string, unknown>;
  /** The delivery's ledger key, also the command's idempotency key. */
  idempotencyKey: string;
  record?: RequestRecord;
  /** The text for arguments the schema refused (default: the error's message). */
  badArgs?: (err: GatewayError) => string;
}

/** What to show the caller; `private` when it is an error or a linking hint. */
export interface ChatAnswer {
  text: string;
  private: boolean;
}

const PLATFORM = { telegram: "Telegram", discord: "Discord" } as const;

/** The steps to link, shown to unlinked chat users. */
export function howToLink(chat: Pick<ChatAccount, "provider"> | null | undefined): string {
  const where = chat?.provider === "discord" ? "/link code:<code>" : "/link <code>";
  return "To link it: sign in to the web app and create a link code " +
    `(it calls create_link_code), then send ${where} here.`;
}

/** Runs `request.command` as the linked user of the account; see the module header. */
export async function answerChat(core: Core, request: ChatRequest): Promise<ChatAnswer> {
  const { account, command, record } = request;
  try {
    const principal = await core.identities.principalFor(account);
    if (record && principal) record.user_id = principal.userId;
    if (command.requires === "user" && !principal) {
      const text = `This ${PLATFORM[account.provider]} account is not linked yet. ` +
        howToLink(account);
      return { text, private: true };
    }
    let args: unknown;
    try {
      args = parseArgs(command, request.rawArgs);
    } catch (err) {
      if (err instanceof GatewayError && request.badArgs) {
        return { text: request.badArgs(err), private: true };
      }
      throw err;
    }
    const reply = await core.executor.run({
      channel: account.provider,
      command,
      args,
      principal,
      chat: account,
      idempotencyKey: request.idempotencyKey,
      linking: core.linkingFor(account, principal),
    });
    return { text: reply.text, private: false };
  } catch (err) {
    const error = asGatewayError(err);
    if (record) record.error_code = error.code;
    if (error.status >= 500) throw err;
    return { text: error.message, private: true };
  }
}
