/**
 * The measuring loop: every wanted scenario, in table order, in each of several rounds (so drift
 * in the machine's load touches all alike and the pairs compared run back to back): p50/p99 at
 * one connection, then throughput at 32 with the CPU each process used per request. Also the
 * calls each gateway command makes (counted by the gateway process itself).
 */
import { cpuPerRequest, type CpuReading, type CpuShare, loadAverage, settle } from "./cpu.ts";
import type { RequestKit } from "./requests.ts";
import type { BenchScenario } from "./scenarios.ts";
import type { Server } from "./servers.ts";
import { type Scenario, wrk, type WrkResult } from "./wrk.ts";

/** What the rounds measured for one scenario, one entry per round. */
export interface Measured {
  c1: WrkResult[];
  c32: WrkResult[];
  cpu: CpuShare[];
}

/** What the loop needs. */
export interface RoundsOptions {
  scenarios: BenchScenario[];
  servers: Map<string, Server>;
  restUrl: string;
  kit: RequestKit;
  rounds: number;
  c1Seconds: number;
  c32Seconds: number;
  readCpu: (pid?: number) => CpuReading;
  /** Run between rounds (e.g. `analyze`, as autovacuum would after the writes). */
  betweenRounds: () => Promise<void>;
  /** Run after each scenario (e.g. forget what the sinks recorded). */
  afterScenario: () => void;
  log: (line: string) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Where the next run of a pre-built file starts (each line is used once). */
const cursors = new Map<string, number>();

/** Runs wrk, each pre-built line used once across runs. */
export async function measure(s: Scenario, connections: number, seconds: number, base: number) {
  const file = s.lines?.file;
  const r = await wrk(s, connections, seconds, base, file ? cursors.get(file) ?? 0 : 0);
  if (file) cursors.set(file, (cursors.get(file) ?? 0) + r.requests + connections + 1);
  return r;
}

/** The base URL a scenario's requests go to. */
export function baseOf(s: BenchScenario, servers: Map<string, Server>, restUrl: string): string {
  if (s.server === "postgrest") return restUrl;
  const server = servers.get(s.server)!;
  return server.spec.gateway ? `${server.url}/functions/v1/gateway` : server.url;
}

/** A scenario's request for one round. */
export function build(
  o: Pick<RoundsOptions, "kit" | "servers" | "restUrl">,
  s: BenchScenario,
  tag: string,
) {
  return s.build({ kit: o.kit, base: baseOf(s, o.servers, o.restUrl), tag });
}

const slug = (name: string) => name.toLowerCase().replace(/[^a-z0-9]+/g, "-");

/** Runs the rounds; returns the measures by scenario name and the load averages seen. */
export async function runRounds(o: RoundsOptions) {
  const results: Record<string, Measured> = {};
  const loads: string[] = [];
  for (let round = 1; round <= o.rounds; round++) {
    await o.betweenRounds();
    for (const [i, s] of o.scenarios.entries()) {
      const scenario = await build(o, s, `${slug(s.name)}-${round}`);
      const m = results[s.name] ??= { c1: [], c32: [], cpu: [] };
      // Update ids are the ledger's keys: every run of every scenario gets its own range.
      const base = round * 100_000_000 + (i + 1) * 1_000_000;
      if (round === 1) await measure(scenario, 8, 1, base + 500_000); // warm-up
      // Each scenario starts on a quiet machine, not on what the one before left running.
      const quiet = await settle();
      if (quiet.busy >= 0.25) {
        o.log(`${s.name}: the machine stayed ${(quiet.busy * 100).toFixed(0)}% busy before it`);
      }
      const c1 = await measure(scenario, 1, o.c1Seconds, base);
      await sleep(200);
      const pid = s.server === "postgrest" ? undefined : o.servers.get(s.server)!.pid;
      const before = o.readCpu(pid);
      const c32 = await measure(scenario, 32, o.c32Seconds, base + 200_000);
      const cpu = cpuPerRequest(before, o.readCpu(pid), c32.requests);
      o.afterScenario();
      for (const r of [c1, c32]) {
        if (r.errors) o.log(`${s.name}: ${r.errors} errors`);
        if (r.wrapped) o.log(`${s.name}: pre-built requests ran out (replays were measured)`);
      }
      m.c1.push(c1);
      m.c32.push(c32);
      m.cpu.push(cpu);
      o.log(
        `round ${round} ${s.name}: c=32 ${c32.perSecond.toFixed(0)}/s (CPU µs/request: ${
          pid === undefined ? "" : `${s.server} ${cpu.self.toFixed(0)}, `
        }PostgREST ${cpu.postgrest.toFixed(0)}, PostgreSQL ${cpu.postgres.toFixed(0)}${
          cpu.nginx ? `, nginx ${cpu.nginx.toFixed(0)}` : ""
        }; steal ${cpu.stealPct.toFixed(0)}%); c=1 p50 ${c1.p50.toFixed(3)} ms`,
      );
    }
    loads.push(loadAverage());
  }
  return { results, loads };
}

/**
 * Calls per command: each gateway scenario (on the plain gateway) one request at a time for a
 * second, then the background completions settle, then the gateway's counts per request.
 */
export async function countCalls(
  o: Pick<RoundsOptions, "kit" | "servers" | "restUrl" | "scenarios">,
) {
  const calls: Record<string, Record<string, number>> = {};
  const gateway = o.servers.get("gateway");
  if (!gateway) return calls;
  const counts = () =>
    fetch(`${gateway.url}/__bench/calls`).then((r) => r.json()) as Promise<Record<string, number>>;
  for (const [i, s] of o.scenarios.entries()) {
    if (s.server !== "gateway") continue;
    await counts();
    const r = await measure(await build(o, s, `${slug(s.name)}-calls`), 1, 1, (i + 1) * 100_000);
    await sleep(300);
    calls[s.name] = Object.fromEntries(
      Object.entries(await counts()).map(([k, v]) => [k, Math.round((v / r.requests) * 100) / 100]),
    );
  }
  return calls;
}
