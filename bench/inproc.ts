/**
 * `deno run -A bench/inproc.ts [--scenario <name>[,...]] [--requests N] [--batches B]`: the
 * gateway's own JavaScript work per request, alone: the gateway's handler called in this process
 * with real `Request`s, its outgoing calls answered at once from canned PostgREST and Telegram
 * answers (no sockets, no HTTP server, no database), eight requests in flight. Reports the
 * process's CPU µs per request (user + system, so time the machine gave to others does not count)
 * minus the harness's own (the same loop around a handler that answers at once), median and
 * least of several batches. Stable enough on a shared machine to judge a change of a few µs; run it in
 * two checkouts to compare them. `--batches 0`: a fixed warm-up and REQUESTS, nothing printed,
 * for instruction counts: `valgrind --tool=callgrind` of two runs with different REQUESTS gives
 * the instructions of one request, which no neighbour on the machine moves. `--log`: with the
 * request log lines on stdout, as in production (send it to /dev/null).
 */
import { cpuUsage } from "node:process";
import { createLogger, silentLogger } from "../supabase/functions/_shared/log.ts";
import { cannedGateway } from "./canned.ts";
import { median } from "./memory.ts";
import { DC, TG } from "./stack.ts";

const arg = (name: string, fallback: string) =>
  Deno.args.includes(name) ? Deno.args[Deno.args.indexOf(name) + 1] : fallback;
const REQUESTS = Number(arg("--requests", "4000"));
const BATCHES = Number(arg("--batches", "7"));
const IN_FLIGHT = 8;

// --log: the request log lines written as in production (stdout; results go to stderr).
const log = Deno.args.includes("--log") ? createLogger() : silentLogger;
const { gateway, alice, bob, command, telegram, discordRequests } = await cannedGateway(
  undefined,
  log,
);
const total = REQUESTS * (BATCHES + 1) + 2000 * BATCHES; // every Discord id used once
const SCENARIOS: Record<string, () => Promise<() => Request>> = {
  "HTTPS read": () => Promise.resolve(command("tasks", alice, "{}")),
  "HTTPS write": () => Promise.resolve(command("add", bob, '{"title":"Bench task"}')),
  "Telegram read": () => Promise.resolve(telegram(TG.alice, "/tasks")),
  "Telegram write": () => Promise.resolve(telegram(TG.bob, "/add Bench task")),
  "Discord read": () => discordRequests(total, DC.alice, { name: "tasks" }),
};

/** CPU µs per request of `handle` over `requests`, eight in flight. */
async function cpuPerRequest(
  make: () => Request,
  handle: (req: Request) => Promise<Response>,
  requests: number,
) {
  let left = requests;
  const worker = async () => {
    while (left-- > 0) {
      const res = await handle(make());
      if (res.status !== 200) throw new Error(`status ${res.status}: ${await res.text()}`);
      await res.arrayBuffer();
    }
  };
  const before = cpuUsage();
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const used = cpuUsage(before);
  return (used.user + used.system) / requests;
}

const names = arg("--scenario", Object.keys(SCENARIOS).join(",")).split(",");
if (BATCHES === 0) {
  // For instruction counts (valgrind --tool=callgrind): a fixed warm-up, then REQUESTS, nothing
  // else; two runs with different REQUESTS give the instructions of one request.
  for (const name of names) {
    const make = await SCENARIOS[name]();
    await cpuPerRequest(make, gateway, 2000);
    await cpuPerRequest(make, gateway, REQUESTS);
    await gateway.core.drain();
  }
  Deno.exit(0);
}
const empty = () => Promise.resolve(new Response("{}"));
for (const name of names) {
  const make = await SCENARIOS[name]();
  await cpuPerRequest(make, gateway, REQUESTS); // warm-up: JIT, caches (verified token, identity)
  const got: number[] = [];
  const harness: number[] = [];
  for (let b = 0; b < BATCHES; b++) {
    harness.push(await cpuPerRequest(make, empty, Math.min(REQUESTS, 2000)));
    got.push(await cpuPerRequest(make, gateway, REQUESTS));
    await gateway.core.drain();
  }
  // Interference only ever adds CPU: the least batch is the steadiest estimate, the median the
  // usual one.
  const own = median(got) - median(harness);
  const least = Math.min(...got) - Math.min(...harness);
  console.error(
    `${name.padEnd(16)} gateway ${own.toFixed(1).padStart(6)} µs/req, least ${
      least.toFixed(1).padStart(6)
    } (batches ${got.map((x) => x.toFixed(0)).join(" ")}; harness ${median(harness).toFixed(1)})`,
  );
}
Deno.exit(0); // the ledger's batch timers and idle deadlines need not be waited for
