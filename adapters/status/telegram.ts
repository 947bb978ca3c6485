/**
 * A Telegram bot as Telegram sees it, against what the gateway serves: the webhook
 * (`getWebhookInfo`: URL, allowed update types, the last delivery error and the updates waiting)
 * and the command menu (`getMyCommands`). Pure: the status task fetches, this compares.
 */
import { age, type Finding, servedAt } from "./finding.ts";

/** A menu entry, as `setMyCommands` takes and `getMyCommands` answers it. */
export interface MenuEntry {
  command: string;
  description: string;
}

/** What the gateway serves for one bot. */
export interface TelegramExpected {
  /** The bot's route URL on the gateway. */
  url: string;
  /** Other URLs the gateway serves the bot at (the default bot's `<route>/default`). */
  aliases?: readonly string[];
  /** The update types the gateway acts on (`ALLOWED_UPDATES`). */
  allowedUpdates: readonly string[];
  /** Its command menu (`telegramCommandMenu` of the commands it offers). */
  menu: readonly MenuEntry[];
}

/** The fields of Telegram's `WebhookInfo` that matter here. */
export interface WebhookInfoSeen {
  /** Empty (or, in grammY's type, absent) when no webhook is set. */
  url?: string;
  pending_update_count: number;
  last_error_date?: number;
  last_error_message?: string;
  allowed_updates?: readonly string[];
}

/** What Telegram answered. */
export interface TelegramSeen {
  info: WebhookInfoSeen;
  menu: readonly MenuEntry[];
}

/** The differences between what Telegram sees and what the gateway serves, most important first. */
export function telegramDrift(
  expected: TelegramExpected,
  seen: TelegramSeen,
  nowSeconds: number,
): Finding[] {
  const findings: Finding[] = [];
  const { info } = seen;
  const waiting = info.pending_update_count > 0
    ? `; ${info.pending_update_count} update${
      info.pending_update_count === 1 ? "" : "s"
    } waiting at Telegram`
    : "";
  if (!servedAt(info.url, expected.url, expected.aliases)) {
    findings.push({
      what: info.url
        ? `webhook points to ${info.url}, not to this gateway's ${expected.url}${waiting}`
        : `no webhook is set (this gateway's is ${expected.url})${waiting}`,
      fix: "telegram:webhook",
    });
  } else {
    // The update types and errors of a webhook set elsewhere are someone else's: only ours count.
    const updates = updateTypesDrift(expected.allowedUpdates, info.allowed_updates);
    if (updates) findings.push({ what: updates, fix: "telegram:webhook" });
    if (info.last_error_date) findings.push(lastError(info, nowSeconds, waiting));
  }
  const menu = menuDrift(expected.menu, seen.menu);
  if (menu) findings.push({ what: menu, fix: "telegram:webhook" });
  return findings;
}

function updateTypesDrift(
  expected: readonly string[],
  seen: readonly string[] | undefined,
): string | undefined {
  const wanted = expected.join(", ");
  // Unset means Telegram's default: every type but chat_member and the reaction updates.
  if (!seen) return `webhook receives Telegram's default update types, not only ${wanted}`;
  const missing = expected.filter((t) => !seen.includes(t));
  const extra = seen.filter((t) => !expected.includes(t));
  if (!missing.length && !extra.length) return undefined;
  const parts = [];
  if (missing.length) {
    const lost = missing.includes("callback_query") ? " (button presses are lost)" : "";
    parts.push(`does not receive ${missing.join(", ")}${lost}`);
  }
  if (extra.length) parts.push(`also receives ${extra.join(", ")}, which the gateway ignores`);
  return `webhook ${parts.join(" and ")}`;
}

/**
 * The last delivery error. Telegram keeps it after deliveries recover, so with nothing waiting it
 * is history, shown as a note; with updates waiting, deliveries are failing now.
 */
function lastError(info: WebhookInfoSeen, nowSeconds: number, waiting: string): Finding {
  const when = `${age(nowSeconds - info.last_error_date!)} ago (${
    new Date(info.last_error_date! * 1000).toISOString()
  })`;
  const message = info.last_error_message ?? "no message";
  if (!waiting) {
    return {
      what: `last delivery error ${when}: ${message}; nothing waits at Telegram since`,
      note: true,
    };
  }
  const status = /\b(401|404)\b/.exec(message)?.[1];
  if (status === "401") {
    return {
      what: `deliveries fail, last ${when}: ${message}${waiting} ` +
        "(the webhook's secret is not this bot's)",
      fix: "telegram:webhook",
    };
  }
  const hint = status === "404"
    ? "the deployed gateway has no Telegram bot of this name: check its TELEGRAM_BOTS"
    : "see the gateway's logs from then";
  return { what: `deliveries fail, last ${when}: ${message}${waiting} (${hint})` };
}

/** What differs between two menus, in one line, or undefined when they are the same. */
function menuDrift(expected: readonly MenuEntry[], seen: readonly MenuEntry[]): string | undefined {
  if (sameMenu(expected, seen)) return undefined;
  if (!seen.length) return "command menu is empty";
  const seenBy = new Map(seen.map((e) => [e.command, e]));
  const expectedNames = new Set(expected.map((e) => e.command));
  const missing = expected.filter((e) => !seenBy.has(e.command)).map((e) => `/${e.command}`);
  const extra = seen.filter((e) => !expectedNames.has(e.command)).map((e) => `/${e.command}`);
  const changed = expected
    .filter((e) => seenBy.has(e.command) && seenBy.get(e.command)!.description !== e.description)
    .map((e) => `/${e.command}`);
  const parts = [];
  if (missing.length) parts.push(`missing ${missing.join(", ")}`);
  if (extra.length) parts.push(`lists ${extra.join(", ")}, which this bot does not offer`);
  if (changed.length) parts.push(`description of ${changed.join(", ")} differs`);
  if (!parts.length) parts.push("order differs");
  return `command menu is stale: ${parts.join("; ")}`;
}

function sameMenu(a: readonly MenuEntry[], b: readonly MenuEntry[]): boolean {
  return a.length === b.length &&
    a.every((e, i) => e.command === b[i].command && e.description === b[i].description);
}
