/**
 * The invariants every case is held to, judged from what came back and what changed:
 * - no 5xx while the database is up, and no server failure dressed as a 200 (an error-level log
 *   line, an `internal`/`db_unavailable` code in the request's log record, Discord's
 *   "unavailable" or "something went wrong" reply);
 * - nothing written for rejected input: each row count may move only as far as the reply says it
 *   should (one task for an "Added" reply, one done task for "Done:", one ledger row for a
 *   delivery that reached the ledger, a link attempt for a refused code …), never otherwise;
 * - no secret in a response (body or headers), a gateway log line or a message sent to the
 *   platforms; no stack trace in a response;
 * - HTTPS answers keep the contract's JSON shape.
 */
import { unescapeHtml } from "../../adapters/telegram/format.ts";
import { FAILED_TEXT, UNAVAILABLE_TEXT } from "../../adapters/discord/command.ts";
import type { Counts } from "./db_counts.ts";
import type { FuzzCase } from "./generate.ts";
import type { Observation } from "./send.ts";

/** Everything known about one case once it has settled. */
export interface CaseResult {
  fuzzCase: FuzzCase;
  obs: Observation;
  before: Counts;
  after: Counts;
  /** Gateway log lines written while the case ran (background work drained). */
  logs: string[];
  /** Texts the bot sent to Telegram, or Discord message contents (response and edits). */
  replies: string[];
}

/** One broken invariant. */
export interface Violation {
  kind: string;
  detail: string;
}

/** A value that must never be shown. */
export interface Secret {
  name: string;
  value: string;
}

const SERVER_CODES = new Set(["internal", "db_unavailable", "upstream_error"]);
/** HTTPS refusals that happen before the ledger is consulted. */
const PRE_LEDGER = new Set([
  "bad_json",
  "missing_token",
  "invalid_token",
  "unknown_command",
  "unsupported_media_type",
  "payload_too_large",
  "method_not_allowed",
  "rate_limited",
]);
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;
const LINK_REFUSED =
  /code is not valid|code has expired|code was already used|linked to another user|Too many wrong codes/;
const STACK_TRACE = /\bat [^\n]*\.ts:\d+|file:\/\/\//;

/** The violations of one case (empty when it passed). */
export function checkCase(r: CaseResult, secrets: readonly Secret[]): Violation[] {
  const out: Violation[] = [];
  const { obs } = r;
  const json = parseJson(obs.body);
  if (obs.status === 0) out.push({ kind: "no-answer", detail: obs.error ?? "" });
  if (obs.status >= 500) out.push({ kind: "5xx", detail: `${obs.status} ${short(obs.body, 200)}` });
  for (const line of r.logs) {
    const record = parseJson(line) as Record<string, unknown> | undefined;
    if (record?.level === "error" || SERVER_CODES.has(String(record?.error_code))) {
      out.push({ kind: "server-error-logged", detail: short(line, 300) });
    }
  }
  for (const text of r.replies) {
    if (text.includes(UNAVAILABLE_TEXT) || text.includes(FAILED_TEXT)) {
      out.push({ kind: "hidden-5xx", detail: `reply: ${short(text, 120)}` });
    }
  }
  if (r.fuzzCase.channel === "http" && obs.status) out.push(...httpContract(obs, json));
  if (STACK_TRACE.test(obs.body)) out.push({ kind: "stack-trace", detail: short(obs.body, 200) });
  out.push(...leaks(r, secrets));
  out.push(...writes(r, json));
  return out;
}

function httpContract(obs: Observation, json: unknown): Violation[] {
  const body = json as { ok?: unknown; error?: { code?: unknown } } | undefined;
  const fine = typeof body?.ok === "boolean" &&
    (obs.status < 300
      ? body.ok === true
      : body.ok === false && typeof body.error?.code === "string");
  return fine ? [] : [{ kind: "contract", detail: `${obs.status} ${short(obs.body, 160)}` }];
}

function leaks(r: CaseResult, secrets: readonly Secret[]): Violation[] {
  const all = [...secrets];
  if (r.fuzzCase.auth?.token.startsWith("@") && r.obs.accessToken) {
    all.push({ name: `access token ${r.fuzzCase.auth.token}`, value: r.obs.accessToken });
    const signature = r.obs.accessToken.split(".")[2];
    if (signature && signature.length >= 20) {
      all.push({ name: "access token signature", value: signature });
    }
  }
  const places: [string, string][] = [
    ["response body", r.obs.body],
    ["response headers", JSON.stringify(r.obs.headers)],
    ...r.logs.map((line): [string, string] => ["log line", line]),
    ...r.replies.map((text): [string, string] => ["message to the platform", text]),
  ];
  const out: Violation[] = [];
  for (const { name, value } of all) {
    for (const [where, text] of places) {
      if (value && text.includes(value)) {
        out.push({ kind: "secret-leak", detail: `${name} in ${where}` });
      }
    }
  }
  return out;
}

/** How far each count may move for this case: [min, max] deltas; absent means [0, 0]. */
function allowances(r: CaseResult, json: unknown): Partial<Record<keyof Counts, [number, number]>> {
  const { fuzzCase: c, obs } = r;
  const body = json as { ok?: boolean; text?: string; error?: { code?: string } } | undefined;
  const httpOk = c.channel === "http" && obs.status === 200 && body?.ok === true;
  const says = (re: RegExp) => r.replies.some((t) => re.test(t));
  const added = httpOk ? c.path === "/commands/add" : says(/^Added #/);
  const done = httpOk ? c.path === "/commands/done" : says(/^Done: #/);
  const linked = says(/^Linked!/);
  const allow: Partial<Record<keyof Counts, [number, number]>> = {};
  if (added) allow.tasks = [0, 1];
  if (done) allow.tasks_done = [0, 1];
  if (linked) {
    allow.chat_identities = [0, 1];
    allow.link_codes_used = [0, 1];
    allow.link_attempts = [-Infinity, 0];
  } else if (says(/^Unlinked\./)) allow.chat_identities = [-1, 0];
  else if (says(LINK_REFUSED)) allow.link_attempts = [0, 1];
  if (httpOk && c.path === "/commands/link-code") allow.link_codes = [-Infinity, 1];
  if (reachedLedger(r, body)) allow.deliveries = [0, 1];
  return allow;
}

/** Whether the delivery got as far as the ledger (only then may it add a ledger row). */
function reachedLedger(r: CaseResult, body: { error?: { code?: string } } | undefined): boolean {
  const { fuzzCase: c, obs } = r;
  if (c.channel === "http") {
    const key = c.headers["idempotency-key"]?.trim();
    return key !== undefined && IDEMPOTENCY_KEY.test(key) &&
      (obs.status === 200 || !PRE_LEDGER.has(String(body?.error?.code)));
  }
  if (c.channel === "telegram" || c.channel === "slack") {
    return obs.status === 200 && r.replies.length > 0;
  }
  const type = (parseJson(obs.body) as { type?: number } | undefined)?.type;
  return obs.status === 200 && (type === 4 || type === 5);
}

function writes(r: CaseResult, json: unknown): Violation[] {
  const allow = allowances(r, json);
  const out: Violation[] = [];
  for (const field of Object.keys(r.before) as (keyof Counts)[]) {
    const delta = r.after[field] - r.before[field];
    const [min, max] = allow[field] ?? [0, 0];
    if (delta < min || delta > max) {
      out.push({
        kind: "unexpected-write",
        detail: `${field} ${delta > 0 ? "+" : ""}${delta} (allowed ${min}..${max})`,
      });
    }
  }
  return out;
}

/**
 * The texts a chat case showed its user: Telegram messages, Discord contents, Slack messages (the
 * inline answer and what reached its response URL, `bodies`; their plain-text sections).
 */
export function replyTexts(
  channel: FuzzCase["channel"],
  obs: Observation,
  telegramTexts: unknown[],
  bodies: unknown[],
): string[] {
  if (channel === "telegram") return telegramTexts.map((t) => unescapeHtml(String(t)));
  if (channel === "slack") return [parseJson(obs.body), ...bodies].flatMap(slackTexts);
  if (channel !== "discord") return [];
  const response = parseJson(obs.body) as { data?: { content?: unknown } } | undefined;
  const contents = [
    response?.data?.content,
    ...bodies.map((b) => (b as { content?: unknown })?.content),
  ];
  return contents.filter((t): t is string => typeof t === "string");
}

/** A Slack message's text as read: its sections (plain text), else its text. */
function slackTexts(message: unknown): string[] {
  const m = message as { text?: unknown; blocks?: { type?: string; text?: { text?: unknown } }[] };
  if (!m || typeof m !== "object") return [];
  const sections = Array.isArray(m.blocks)
    ? m.blocks.filter((b) => b?.type === "section").map((b) => String(b.text?.text ?? ""))
    : [];
  if (sections.length) return [sections.join("\n")];
  return typeof m.text === "string" ? [m.text] : [];
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** `text` cut to `max` characters, invisible characters and lone surrogates shown as `\uXXXX`. */
export function short(text: string, max: number): string {
  const cut = text.length <= max ? text : text.slice(0, max);
  const shown = cut.replace(
    INVISIBLE,
    (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
  return text.length <= max ? shown : `${shown}… (${text.length} chars)`;
}

// Control characters are what this pattern is for: they are shown, never printed raw.
const INVISIBLE =
  // deno-lint-ignore no-control-regex
  /[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
