/**
 * The bench's report: every scenario's medians with the CPU of each process per request, then one
 * table of the targets (met or MISSED) and the figures reported beside them, then the load, the
 * calls per command, the profiles, memory, cold starts and the notifications (drain throughput,
 * commit-to-send latency). Ratios are medians of the per-round ratios: the two sides of a pair run
 * back to back in each round. A section a run did not measure (`--only`, `--cold`) is left out.
 */
import { COLD } from "./cold.ts";
import type { CpuShare } from "./cpu.ts";
import { median } from "./memory.ts";
import type { NotifyResult } from "./notify.ts";
import type { Measured } from "./rounds.ts";
import type { BenchScenario, Comparison } from "./scenarios.ts";

/** Everything a run gathered. */
export interface RunData {
  header: string;
  scenarios: BenchScenario[];
  results: Record<string, Measured>;
  targets: Comparison[];
  figures: Comparison[];
  colds: Record<string, number[]>;
  memory: Record<string, { rss: number[]; heap: number[]; growth: number; requests: number }>;
  calls: Record<string, Record<string, number>>;
  profiles: Record<string, { line: string }>;
  loadBefore: string;
  loadsDuring: string[];
  /** The notification bench's result, when it ran. */
  notify?: NotifyResult;
}

/** One row of the targets table. */
export interface TargetRow {
  what: string;
  value: string;
  rounds: string;
  wanted: string;
  ok: boolean | undefined;
}

const f = (n: number, d = 2) => Number.isFinite(n) ? n.toFixed(d) : "n/a";

/** The per-round values of a comparison (ratio, or ms difference). */
function perRound(c: Comparison, results: Record<string, Measured>): number[] {
  const a = results[c.a];
  const b = results[c.b];
  if (!a || !b) return [];
  return a.c32.map((_, i) =>
    c.kind === "ratio" ? a.c32[i].perSecond / b.c32[i].perSecond : a.c1[i].p50 - b.c1[i].p50
  );
}

/** The targets and figures as rows: measured median, each round, wanted, met. */
export function comparisonRows(d: RunData): TargetRow[] {
  const rows: TargetRow[] = [];
  const value = (c: Comparison) => median(perRound(c, d.results));
  const show = (c: Comparison, v: number) => c.kind === "ratio" ? `${f(v)}x` : `${f(v, 3)} ms`;
  for (const c of [...d.targets, ...d.figures]) {
    const values = perRound(c, d.results);
    if (!values.length) continue;
    const v = median(values);
    let wanted = "";
    let ok: boolean | undefined;
    if (c.plain) {
      const bar = c.kind === "ratio" ? value(c.plain) - 0.1 : value(c.plain) + 0.1;
      wanted = `${c.kind === "ratio" ? ">=" : "<="} ${show(c, bar)} (plain ${
        c.kind === "ratio" ? "- 0.1" : "+ 0.1 ms"
      }); ${c.min !== undefined ? `>= ${c.min}x` : `<= ${c.max} ms`} plain target`;
      ok = Number.isFinite(bar) ? (c.kind === "ratio" ? v >= bar : v <= bar) : undefined;
    } else if (c.min !== undefined) {
      wanted = `>= ${c.min}x`;
      ok = v >= c.min;
    } else if (c.max !== undefined) {
      wanted = `<= ${c.max} ms`;
      ok = v <= c.max;
    }
    rows.push({
      what: c.kind === "ratio" ? `${c.a} / ${c.b}, c=32 req/s` : `${c.a} - ${c.b}, c=1 p50`,
      value: show(c, v),
      rounds: values.map((x) => show(c, x)).join(", "),
      wanted,
      ok,
    });
  }
  const cold = (name: string) => median(d.colds[name] ?? []);
  for (const name of [COLD.command, COLD.manyBots]) {
    if (!d.colds[name]) continue;
    const ratio = cold(name) / cold(COLD.empty);
    rows.push({
      what: `cold start, ${name} / ${COLD.empty} (median of ${d.colds[name].length})`,
      value: `${f(ratio)}x (${f(cold(name), 0)} / ${f(cold(COLD.empty), 0)} ms)`,
      rounds: "",
      wanted: "<= 3x",
      ok: ratio <= 3,
    });
  }
  for (const [name, m] of Object.entries(d.memory)) {
    rows.push({
      what: `RSS trend over ${m.requests} ${name} (after full GCs; Theil-Sen slope x run)`,
      value: `${f(m.growth, 1)} MB`,
      rounds: "",
      wanted: "< 10 MB",
      ok: m.growth < 10,
    });
  }
  return rows;
}

/** Prints the report to stdout. */
export function printReport(d: RunData): TargetRow[] {
  const out = (line = "") => console.log(line);
  out(`\n${d.header}`);
  const rounds = d.loadsDuring.length ? `; after each round: ${d.loadsDuring.join(" | ")}` : "";
  out(`Load average (1, 5, 15 min) before: ${d.loadBefore}${rounds}`);
  if (Object.keys(d.results).length) printScenarios(d, out);
  const rows = comparisonRows(d);
  if (rows.length) {
    out("\n| target or figure | measured (median) | each round | wanted | |");
    out("|---|---|---|---|---|");
    for (const r of rows) {
      const verdict = r.ok === undefined ? "" : r.ok ? "met" : "MISSED";
      out(`| ${r.what} | ${r.value} | ${r.rounds} | ${r.wanted} | ${verdict} |`);
    }
  }
  printDetails(d, out);
  if (d.notify) printNotifications(d.notify, out);
  return rows;
}

/** Each scenario's medians and the CPU per request of each process. */
function printScenarios(d: RunData, out: (line?: string) => void) {
  const cpu = (m: Measured, part: keyof CpuShare) => median(m.cpu.map((c) => c[part]));
  out();
  out(
    "| scenario | process | c=32 req/s | c=1 p50 ms | c=1 p99 ms | CPU µs/req: process | " +
      "PostgREST | PostgreSQL | nginx | steal |",
  );
  out("|---|---|---|---|---|---|---|---|---|---|");
  for (const s of d.scenarios) {
    const m = d.results[s.name];
    if (!m) continue;
    const rate = median(m.c32.map((r) => r.perSecond));
    out(
      `| ${s.name} | ${s.server} | ${f(rate, 0)} | ${f(median(m.c1.map((r) => r.p50)), 3)} | ${
        f(median(m.c1.map((r) => r.p99)), 3)
      } | ${s.server === "postgrest" ? "-" : f(cpu(m, "self"), 0)} | ${
        f(cpu(m, "postgrest"), 0)
      } | ${f(cpu(m, "postgres"), 0)} | ${cpu(m, "nginx") ? f(cpu(m, "nginx"), 0) : "-"} | ${
        f(cpu(m, "stealPct"), 0)
      }% |`,
    );
  }
}

/** Calls per command, profiles, memory and cold starts. */
function printDetails(d: RunData, out: (line?: string) => void) {
  if (Object.keys(d.calls).length) {
    out("\nOutgoing calls per command (after background completions):");
    for (const [name, counts] of Object.entries(d.calls)) {
      const list = Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(", ");
      out(`  ${name.padEnd(30)} ${list}`);
    }
  }
  if (Object.keys(d.profiles).length) {
    out("\nGateway CPU per request, by area (µs, c=32; from --cpu-prof, profiler included):");
    for (const [name, p] of Object.entries(d.profiles)) out(`  ${name.padEnd(16)} ${p.line}`);
  }
  for (const [name, m] of Object.entries(d.memory)) {
    out(
      `\nRSS every 10,000 ${name}, after a full GC (MB): ${m.rss.map((x) => f(x, 0)).join(", ")}`,
    );
    out(`  V8 heap used: ${m.heap.map((x) => f(x, 1)).join(", ")}`);
  }
  if (Object.keys(d.colds).length) out("\nCold starts, spawn to the first 200 (ms):");
  for (const [name, xs] of Object.entries(d.colds)) {
    out(
      `  ${`${name}:`.padEnd(62)} ${xs.map((x) => f(x, 0)).join(", ")} (median ${
        f(median(xs), 0)
      })`,
    );
  }
}

/** The notification bench: drain throughput per platform, then commit-to-send latency. */
function printNotifications(n: NotifyResult, out: (line?: string) => void) {
  out(
    "\nNotifications, platform limits on (Telegram 1/s per chat, 30/s per bot; Discord's buckets):",
  );
  out("| platform | sent | messages/s | 429s answered |");
  out("|---|---|---|---|");
  for (
    const [name, t] of [["Telegram", n.throughput.telegram], [
      "Discord",
      n.throughput.discord,
    ]] as const
  ) {
    out(`| ${name} | ${t.sent} | ${f(t.perSecond, 1)} | ${t.refused429} |`);
  }
  out(`(${n.messages} messages, ${n.perChat} per chat, drained in ${f(n.seconds, 1)} s)`);
  out("\n| commit to send | p50 ms | p99 ms | samples |");
  out("|---|---|---|---|");
  for (const [name, l] of Object.entries(n.latency)) {
    out(`| ${name} | ${l.p50} | ${l.p99} | ${l.n} |`);
  }
}
