/**
 * `deno task bench`: the gateway beside what a user would otherwise run, in one run. Starts its
 * own PostgreSQL and PostgREST (JWT cache on, as the platform runs it), nginx as a TLS front for
 * the hosted-like path, and every server the scenarios need as separate processes (the gateway;
 * the peer, the function the Supabase docs teach; the floor, an empty Deno hop); drives them with
 * `wrk` in alternating rounds and prints (see report.ts) each scenario's throughput, latency and
 * CPU per request of each process, the targets met or MISSED, calls per command, profiles, memory
 * and cold starts. Then, once that stack has stopped, the notification bench on a stack of its own
 * (notify.ts). Writes `.local/bench/results.json`.
 *
 * `--quick`: one short round, fewer cold starts, one profile, no memory run, fewer notification
 * latency samples (a few minutes). `--only <regex>`: just the scenarios whose name matches, and
 * those they are compared with; the notification bench is named `notify` (`--only notify`: it
 * alone). `--no-tls`: without the TLS path. `--cold`: the cold starts alone.
 */
import { cpuReader, loadAverage } from "./cpu.ts";
import { coldStarts } from "./cold.ts";
import { MEMORY_BUDGET_MS, MEMORY_REQUESTS, memoryRun } from "./memory.ts";
import { benchNotifications } from "./notify.ts";
import { profileServer } from "./profile.ts";
import { printReport, type RunData } from "./report.ts";
import { type RequestKit, requestKit } from "./requests.ts";
import { build, countCalls, runRounds } from "./rounds.ts";
import { FIGURES, SCENARIOS, serverSpecs, TARGETS } from "./scenarios.ts";
import { type Server, type ServerSpec, spawnServer } from "./servers.ts";
import { type BenchStack, startStack, STATE } from "./stack.ts";
import { startTlsFront, type TlsFront } from "./tls_front.ts";
import { ensureWrk } from "./wrk.ts";

const args = Deno.args;
const quick = args.includes("--quick");
const only = args.includes("--only") ? new RegExp(args[args.indexOf("--only") + 1]) : undefined;
const ROUNDS = quick ? 1 : 3;
const C1_SECONDS = quick ? 2 : 3;
const C32_SECONDS = quick ? 3 : 5;
/** How long a full run may take: the memory runs stop short to keep it so on a slow machine. */
const FULL_RUN_MS = 24 * 60_000;
/** What follows the memory runs: the profiles (about 45 s) and the notifications (about 50 s). */
const AFTER_MEMORY_MS = 2 * 60_000;
const PROFILED = quick
  ? ["HTTPS read"]
  : ["HTTPS read", "Telegram read", "Discord read", "Slack read", "TLS HTTPS read"];

// A scenario wanted by --only brings the scenarios it is compared with.
const comparisons = [...TARGETS, ...FIGURES];
const picked = new Set(SCENARIOS.map((s) => s.name).filter((n) => !only || only.test(n)));
for (const c of comparisons) {
  if (!picked.has(c.a)) continue;
  picked.add(c.b);
  // A TLS target is judged against the same comparison on the plain path.
  if (c.plain) picked.add(c.plain.a).add(c.plain.b);
}
const coldOnly = args.includes("--cold");
const scenarios = SCENARIOS.filter((s) =>
  picked.has(s.name) && !(args.includes("--no-tls") && s.name.startsWith("TLS "))
);
const notifyWanted = !coldOnly && (!only || only.test("notify"));
const stackWanted = coldOnly || scenarios.length > 0;

const log = (line: string) => console.error(`[bench] ${line}`);
if (!stackWanted && !notifyWanted) {
  console.error(`--only ${only?.source}: no scenario's name matches it, nor "notify".`);
  Deno.exit(2);
}
const started = performance.now();
await Deno.mkdir(STATE, { recursive: true });
const loadBefore = loadAverage();
log(`load average before: ${loadBefore}`);
const data: RunData = {
  header: "",
  scenarios: [],
  results: {},
  targets: TARGETS,
  figures: FIGURES,
  colds: {},
  memory: {},
  calls: {},
  profiles: {},
  loadBefore,
  loadsDuring: [],
};
if (stackWanted) await benchScenarios();
// On a stack of its own, once the scenarios' servers are gone.
if (notifyWanted) data.notify = await benchNotifications(log, { quick });
const rounds = data.scenarios.length
  ? `PostgREST JWT cache on; ${ROUNDS} round(s) of ${C1_SECONDS} s at c=1 and ${C32_SECONDS} s ` +
    `at c=32 per scenario; medians; `
  : "";
data.header = `Benchmark: ${navigator.hardwareConcurrency} cores, Deno ${Deno.version.deno}, ` +
  `${rounds}took ${((performance.now() - started) / 1000).toFixed(0)} s`;
const rows = printReport(data);
await Deno.writeTextFile(
  `${STATE}/results.json`,
  JSON.stringify({ ...data, scenarios: undefined, rows }, null, 2) + "\n",
);

/** The cold starts and (unless `--cold`) the scenarios, on the bench's stack, into `data`. */
async function benchScenarios() {
  await ensureWrk(log);
  const stack = await startStack();
  let tls: TlsFront | undefined;
  const servers = new Map<string, Server>();
  try {
    if (!coldOnly && scenarios.some((s) => s.name.startsWith("TLS "))) {
      tls = await startTlsFront(STATE, stack.rest.url, log);
    }
    const specs = serverSpecs(stack, tls);
    const kit = requestKit(stack, quick ? 10_000 : 16_000);
    data.colds = await coldStarts(specs, kit, quick ? 3 : 5, log);
    if (!coldOnly) Object.assign(data, await measureAll(stack, tls, servers, specs, kit));
  } finally {
    for (const server of servers.values()) await server.stop();
    await tls?.stop();
    await stack.stop();
  }
}

/** The rounds, the calls per command, memory and profiles, with every server the scenarios use. */
async function measureAll(
  stack: BenchStack,
  tls: TlsFront | undefined,
  servers: Map<string, Server>,
  specs: Record<string, ServerSpec>,
  kit: RequestKit,
) {
  for (const name of new Set(scenarios.map((s) => s.server))) {
    if (name !== "postgrest") servers.set(name, await spawnServer(name, specs[name]));
  }
  const common = { scenarios, servers, restUrl: stack.rest.url, kit };
  log("calls per command");
  const calls = await countCalls(common);
  const { results, loads } = await runRounds({
    ...common,
    rounds: ROUNDS,
    c1Seconds: C1_SECONDS,
    c32Seconds: C32_SECONDS,
    readCpu: cpuReader(`${STATE}/db`, tls?.confFile ?? "(no nginx)"),
    betweenRounds: () => stack.db.psql("analyze tasks").then(() => {}),
    afterScenario: stack.clearSinks,
    log,
  });

  const memory: RunData["memory"] = {};
  const gateway = servers.get("gateway");
  if (!quick && !only && gateway) {
    const names = ["HTTPS read", "Telegram read"];
    for (const [i, name] of names.entries()) {
      // What is left of the run's time, shared by the memory runs still to come (1 to 4 min each).
      const left = FULL_RUN_MS - AFTER_MEMORY_MS - (performance.now() - started);
      const budget = Math.max(60_000, Math.min(MEMORY_BUDGET_MS, left / (names.length - i)));
      const seconds = Math.round(budget / 1000);
      log(`memory: ${name}, warm-up then ${MEMORY_REQUESTS} requests (at most ${seconds} s)`);
      const s = scenarios.find((x) => x.name === name)!;
      memory[name] = await memoryRun(
        gateway,
        await build(common, s, `memory-${i}`),
        900_000_000 + i * 10_000_000,
        budget,
      );
      stack.clearSinks();
    }
  }
  for (const server of servers.values()) await server.stop();
  servers.clear();

  log("profiles");
  const profiles: RunData["profiles"] = {};
  for (const name of PROFILED) {
    const s = scenarios.find((x) => x.name === name);
    if (!s) continue;
    const keep = `${STATE}/${name.replaceAll(" ", "-").toLowerCase()}.cpuprofile`;
    profiles[name] = await profileServer(
      specs[s.server],
      (base) => s.build({ kit, base, tag: `profile-${name}` }),
      C32_SECONDS,
      STATE,
      keep,
    );
  }
  return { scenarios, results, loadsDuring: loads, memory, calls, profiles };
}
