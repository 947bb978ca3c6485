/**
 * The end-of-run summary: per channel the number of cases, a histogram of statuses, and the
 * failures grouped by what broke and the input's category, each group with the cases that
 * reproduce it (`--seed S --channel C --case I`) and one offending input, shortened.
 */
import { type CaseResult, short, type Violation } from "./checks.ts";
import type { Channel, FuzzCase } from "./generate.ts";

/** A failed case as the report keeps it. */
export interface Failure {
  fuzzCase: FuzzCase;
  status: number;
  violations: Violation[];
}

/** Tallies of one channel. */
export interface ChannelTally {
  cases: number;
  statuses: Map<number, number>;
  failures: Failure[];
  ms: number;
}

/** Prints the summary; `all` lists every failing case instead of three per group. */
export function printSummary(
  seed: number,
  tallies: Map<Channel, ChannelTally>,
  all: boolean,
): void {
  for (const [channel, t] of tallies) {
    const statuses = [...t.statuses].sort(([a], [b]) => a - b).map(([s, n]) => `${s}:${n}`);
    console.log(
      `\n== ${channel}: ${t.cases} cases in ${(t.ms / 1000).toFixed(1)} s, ` +
        `${t.failures.length} failing; statuses ${statuses.join(" ")}`,
    );
    const groups = new Map<string, Failure[]>();
    for (const f of t.failures) {
      const kinds = [...new Set(f.violations.map((v) => v.kind))].join("+");
      const key = `${kinds} | ${f.fuzzCase.category}`;
      groups.set(key, [...(groups.get(key) ?? []), f]);
    }
    const sorted = [...groups].sort((a, b) => b[1].length - a[1].length);
    for (const [key, failures] of sorted) {
      console.log(`  ${failures.length}× ${key}`);
      for (const f of all ? failures : failures.slice(0, 3)) {
        const details = [...new Set(f.violations.map((v) => `${v.kind}: ${v.detail}`))];
        console.log(`    case ${f.fuzzCase.index} (status ${f.status})`);
        for (const detail of details) console.log(`      ${detail}`);
        console.log(`      input: ${describe(f.fuzzCase)}`);
        console.log(
          `      rerun: ./deno task fuzz --seed ${seed} --channel ${channel} --case ${f.fuzzCase.index}`,
        );
      }
      if (!all && failures.length > 3) console.log(`    … and ${failures.length - 3} more`);
    }
  }
}

/** Everything about one case (a `--case I` rerun): the request, the answer, what it caused. */
export function printCase(r: CaseResult): void {
  console.log(`case ${r.fuzzCase.index} (${r.fuzzCase.category}): ${describe(r.fuzzCase)}`);
  console.log(`  answer: ${r.obs.status} ${r.obs.error ?? ""}${short(r.obs.body, 600)}`);
  for (const text of r.replies) console.log(`  reply: ${short(text, 300)}`);
  for (const line of r.logs) console.log(`  log: ${short(line, 300)}`);
  const moved = Object.keys(r.before).filter((k) =>
    r.after[k as keyof typeof r.after] !== r.before[k as keyof typeof r.before]
  );
  for (const k of moved) {
    const key = k as keyof typeof r.after;
    console.log(`  rows: ${k} ${r.before[key]} -> ${r.after[key]}`);
  }
}

/** The request of a case in one line, shortened. */
export function describe(c: FuzzCase): string {
  const parts = [`${c.method} ${c.path}`];
  if (c.auth) parts.push(`auth=${c.auth.scheme} ${short(c.auth.token, 40)}`);
  if (c.secret && c.secret !== "right") parts.push(`secret=${c.secret}`);
  if (c.signature && c.signature !== "valid") parts.push(`signature=${c.signature}`);
  for (const [name, value] of Object.entries(c.headers)) {
    if (name !== "content-type" || value !== "application/json") {
      parts.push(`${name}=${JSON.stringify(short(value, 40))}`);
    }
  }
  if (c.stream) parts.push("streamed");
  if (c.bytes) parts.push("raw bytes");
  const focus = highlight(c);
  if (focus) parts.push(focus);
  parts.push(`body=${short(c.body, 220)}`);
  return parts.join(" ");
}

/** The part of a chat update that matters most, shown before the (long) body. */
function highlight(c: FuzzCase): string | undefined {
  if (c.channel === "slack") {
    const form = new URLSearchParams(c.body);
    const shown = form.get("payload") ??
      (form.has("command") ? `${form.get("command")} ${form.get("text")}` : null);
    return shown === null ? undefined : `slack=${short(JSON.stringify(shown), 160)}`;
  }
  let value: Record<string, unknown> | undefined;
  try {
    value = JSON.parse(c.body);
  } catch {
    return undefined;
  }
  if (c.channel === "telegram") {
    const message = value?.message as Record<string, unknown> | null | undefined;
    const text = message?.text;
    return text === undefined ? undefined : `text=${short(JSON.stringify(text), 120)}`;
  }
  if (c.channel === "discord" && value?.data !== undefined) {
    return `data=${short(JSON.stringify(value.data), 160)}`;
  }
  return undefined;
}
