/**
 * The Discord REST calls of the setup tasks (`discord:register`, `status`): the bot token goes in
 * the Authorization header only, with Discord's User-Agent, each call bounded at 10 s, and a
 * refusal becomes one line (status, Discord's message and code, the first field errors of an
 * `Invalid Form Body`), which never quotes the token: Discord's answer may echo it, so every error
 * line has it replaced by `***`.
 */
import { redact } from "../task_bots.ts";
import { USER_AGENT } from "./webhook.ts";

/** Longest wait for one call from a task. */
const CALL_TIMEOUT_MS = 10_000;

/** Where and as whom to call. */
export interface DiscordRest {
  apiBase: string;
  botToken: string;
  fetch?: typeof fetch;
}

/** Discord refused (`status` its HTTP status) or could not be reached (`status` 0). */
export class DiscordRestError extends Error {
  constructor(message: string, readonly status: number) {
    super(message);
    this.name = "DiscordRestError";
  }
}

/** Calls `method path` (under the API base) and resolves with the JSON answer. */
export async function discordRequest<T>(
  rest: DiscordRest,
  method: "GET" | "PUT" | "PATCH",
  path: string,
  body?: unknown,
): Promise<T> {
  let res: Response;
  try {
    res = await (rest.fetch ?? fetch)(rest.apiBase + path, {
      method,
      headers: {
        authorization: `Bot ${rest.botToken}`,
        "user-agent": USER_AGENT,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
    });
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new DiscordRestError(
      redact(`could not reach Discord at ${rest.apiBase}: ${why}`, [rest.botToken]),
      0,
    );
  }
  const answer = await res.json().catch(() => null);
  if (!res.ok) {
    throw new DiscordRestError(redact(discordError(res, answer), [rest.botToken]), res.status);
  }
  return answer as T;
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
