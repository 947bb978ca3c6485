/**
 * What `deno task status` finds about one bot, and how it is printed: a header per bot ("telegram
 * staging (@LocalStagingBot): ok", "...: 2 differences", "...: cannot check: no botToken"), then
 * one indented line per difference and the commands that fix them. Pure: no network.
 */

/** The setup task run that repairs a difference. */
export type Fix = "telegram:webhook" | "discord:register" | "discord:endpoint";

/** One thing the platform sees differently from what the gateway serves. */
export interface Finding {
  /** What differs, in one line (never a token or secret). */
  what: string;
  /** The task run that repairs it, when one does. */
  fix?: Fix;
  /** Shown, but not a difference (e.g. an old delivery error since recovered from). */
  note?: boolean;
}

/**
 * Whether a URL the platform holds reaches the bot's route: the expected URL or one of its
 * aliases (the default bot's `<route>/default`), trailing slashes aside (the gateway's router
 * ignores them).
 */
export function servedAt(
  seen: string | null | undefined,
  expected: string,
  aliases: readonly string[] = [],
): boolean {
  const bare = (url: string) => url.replace(/\/+$/, "");
  return !!seen && [expected, ...aliases].some((url) => bare(url) === bare(seen));
}

/** One bot's result. */
export interface BotStatus {
  /** `telegram staging (@LocalStagingBot)`, `discord default (app 1000…)`. */
  title: string;
  /** The bot's name (what `--bot` takes). */
  bot: string;
  findings: Finding[];
  /** Set when the platform could not be asked; `counts` says whether that fails the run. */
  unchecked?: { why: string; counts: boolean };
}

/** What the fix commands carry over from the status run. */
export interface FixContext {
  local: boolean;
  /** The gateway function URL given to status with `--url`, if any. */
  url?: string;
}

/** Whether a bot's status fails the run (exit 1). */
export function differs(status: BotStatus): boolean {
  return status.unchecked ? status.unchecked.counts : status.findings.some((f) => !f.note);
}

/** The lines printed for one bot. */
export function statusLines(status: BotStatus, context: FixContext): string[] {
  if (status.unchecked) return [`${status.title}: cannot check: ${status.unchecked.why}`];
  const count = status.findings.filter((f) => !f.note).length;
  const header = `${status.title}: ${
    count ? `${count} difference${count === 1 ? "" : "s"}` : "ok"
  }`;
  const lines = [header];
  for (const f of status.findings) lines.push(`    ${f.note ? "note: " : ""}${f.what}`);
  const fixes = [...new Set(status.findings.flatMap((f) => f.fix && !f.note ? [f.fix] : []))];
  for (const fix of fixes) lines.push(`    fix: ${fixCommand(fix, status.bot, context)}`);
  return lines;
}

/** The command that repairs `fix` for bot `bot`, with the status run's `--local` and `--url`. */
export function fixCommand(fix: Fix, bot: string, context: FixContext): string {
  const task = fix === "telegram:webhook" ? fix : "discord:register";
  const parts = ["deno task", task];
  if (context.local) parts.push("--local");
  if (bot !== "default") parts.push(`--bot ${bot}`);
  if (fix === "discord:endpoint") parts.push("--endpoint");
  // The setup tasks' --url is the platform's route, status's the function's.
  if (context.url && fix !== "discord:register") {
    parts.push(`--url ${context.url}/${fix === "telegram:webhook" ? "telegram" : "discord"}`);
  }
  return parts.join(" ");
}

/** A duration in words: "42 s", "5 min", "3 h", "2 days". */
export function age(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 120) return `${s} s`;
  if (s < 2 * 3600) return `${Math.round(s / 60)} min`;
  if (s < 2 * 86400) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86400)} days`;
}
