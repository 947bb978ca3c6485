/**
 * `deno run -A bench/ab.ts [--a <checkout>] [--a-env K=V ...] [--b-env K=V ...]
 * [--scenario <name>[,<name>...]] [--runs N] [--seconds S]`: two gateways in alternating runs on
 * one stack: A (another checkout, e.g. `git archive` of the commit before a change, and/or other
 * environment, e.g. `BENCH_HTTP=fetch`) and B (this checkout). Each run is c=32 for a few seconds;
 * the report is the gateway's CPU µs per request (what a change is judged by on a shared machine:
 * throughput swings with the neighbours, CPU per request hardly does), throughput and c=1 p50.
 * Scenarios are the bench's own (scenarios.ts), on the plain gateway.
 */
import { cpuPerRequest, cpuReader } from "./cpu.ts";
import { median } from "./memory.ts";
import { requestKit } from "./requests.ts";
import { build, measure } from "./rounds.ts";
import { SCENARIOS, serverSpecs } from "./scenarios.ts";
import { type Server, spawnServer } from "./servers.ts";
import { startStack, STATE } from "./stack.ts";
import { ensureWrk } from "./wrk.ts";

const arg = (name: string, fallback: string) =>
  Deno.args.includes(name) ? Deno.args[Deno.args.indexOf(name) + 1] : fallback;
/** Every `K=V` given after `name`. */
const envArgs = (name: string) =>
  Object.fromEntries(
    Deno.args.flatMap((a, i) => Deno.args[i - 1] === name ? [a.split(/=(.*)/s).slice(0, 2)] : []),
  );
const other = arg("--a", "");
const names = arg("--scenario", "HTTPS read").split(",");
const runs = Number(arg("--runs", "4"));
const seconds = Number(arg("--seconds", "4"));
const log = (line: string) => console.error(`[ab] ${line}`);

await ensureWrk(log);
const stack = await startStack();
const servers = new Map<string, Server>();
try {
  const spec = serverSpecs(stack).gateway;
  const root = other ? await Deno.realPath(other) : undefined;
  const versions = {
    A: {
      ...spec,
      ...(root ? { script: `${root}/bench/gateway_server.ts`, cwd: root } : {}),
      env: { ...spec.env, ...envArgs("--a-env") },
    },
    B: { ...spec, env: { ...spec.env, ...envArgs("--b-env") } },
  };
  for (const [v, s] of Object.entries(versions)) servers.set(v, await spawnServer(v, s));
  const kit = requestKit(stack, 20_000);
  const readCpu = cpuReader(`${STATE}/db`, "(no nginx)");
  for (const name of names) {
    const scenario = SCENARIOS.find((s) => s.name === name);
    if (!scenario) throw new Error(`no scenario ${name}`);
    const got: Record<string, { cpu: number[]; rate: number[]; p50: number[] }> = {};
    for (let run = 0; run < runs; run++) {
      for (const v of run % 2 ? ["B", "A"] : ["A", "B"]) {
        const server = servers.get(v)!;
        const only = new Map([["gateway", server]]);
        const s = await build(
          { kit, servers: only, restUrl: stack.rest.url },
          scenario,
          `ab-${v}-${run}`,
        );
        const counter = 500_000_000 + run * 2_000_000 + (v === "A" ? 0 : 1_000_000);
        if (run === 0) await measure(s, 8, 1, counter + 900_000);
        const c1 = await measure(s, 1, 1, counter + 800_000);
        const before = readCpu(server.pid);
        const r = await measure(s, 32, seconds, counter);
        const cpu = cpuPerRequest(before, readCpu(server.pid), r.requests);
        stack.clearSinks();
        const g = got[v] ??= { cpu: [], rate: [], p50: [] };
        g.cpu.push(cpu.self);
        g.rate.push(r.perSecond);
        g.p50.push(c1.p50);
        log(
          `${name} ${v} run ${run + 1}: ${cpu.self.toFixed(0)} µs/req, ${
            r.perSecond.toFixed(0)
          }/s, p50 ${c1.p50.toFixed(3)} ms, steal ${cpu.stealPct.toFixed(0)}%`,
        );
      }
    }
    for (const [v, g] of Object.entries(got)) {
      console.log(
        `${name} ${v} (${v === "A" ? Deno.args.join(" ") : "this checkout"}): CPU µs/req median ${
          median(g.cpu).toFixed(0)
        } [${g.cpu.map((x) => x.toFixed(0)).join(", ")}], ${median(g.rate).toFixed(0)}/s, c=1 p50 ${
          median(g.p50).toFixed(3)
        } ms`,
      );
    }
  }
} finally {
  for (const s of servers.values()) await s.stop();
  await stack.stop();
}
