/**
 * Profiles: a fresh gateway under `--cpu-prof` driven by one scenario, and the V8 CPU profile
 * summarised by area (the HTTP server, the fetch client, web APIs, each npm package, the
 * project's own code, garbage collection), µs per request, so a regression names its cause.
 * `deno run -A bench/profile.ts <file.cpuprofile>` lists the top functions of a kept profile (the
 * measured part only: its request count and start are kept beside it, `<file>.json`).
 */
import { REPO_ROOT } from "../dev/paths.ts";
import { type ServerSpec, spawnServer } from "./servers.ts";
import type { Scenario } from "./wrk.ts";
import { measure } from "./rounds.ts";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
}
/** The parts of a `.cpuprofile` this reads. */
export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/**
 * Self time per area in µs per request, largest first, and a one-line rendering. Samples in the
 * first `skipMs` of the profile (start-up, warm-up) are left out.
 */
export function summariseProfile(profile: CpuProfile, requests: number, skipMs = 0) {
  const areaOf = new Map<number, string>();
  for (const node of profile.nodes) areaOf.set(node.id, area(node.callFrame));
  const micros = new Map<string, number>();
  for (const [id, us] of samples(profile, skipMs)) {
    const a = areaOf.get(id) ?? "other";
    micros.set(a, (micros.get(a) ?? 0) + us);
  }
  micros.delete("idle");
  const perRequest = [...micros].map(([a, us]) => [a, us / Math.max(1, requests)] as const)
    .sort((x, y) => y[1] - x[1]);
  const total = perRequest.reduce((s, [, us]) => s + us, 0);
  const line = `total ${total.toFixed(0)}: ` +
    perRequest.filter(([, us]) => us >= 3).map(([a, us]) => `${a} ${us.toFixed(0)}`).join(", ");
  return { total, areas: Object.fromEntries(perRequest), line };
}

/** Each sample's node id and the µs it stands for, from `skipMs` into the profile on. */
function* samples(profile: CpuProfile, skipMs: number): Generator<[number, number]> {
  let at = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i] ?? 0;
    if (at >= skipMs * 1000) yield [profile.samples[i], profile.timeDeltas[i + 1] ?? 0];
  }
}

function area({ functionName, url }: ProfileNode["callFrame"]): string {
  if (functionName === "(idle)") return "idle";
  if (functionName === "(garbage collector)") return "gc";
  if (functionName === "(program)") return "v8/runtime";
  const pkg = /registry\.npmjs\.org\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1];
  if (pkg) return pkg.startsWith("@supabase/") ? "supabase-js" : pkg;
  if (url.startsWith("ext:deno_http") || url.startsWith("ext:deno_net")) return "http server";
  if (url.startsWith("ext:deno_fetch")) return "fetch";
  if (url.startsWith("ext:deno_crypto")) return "webcrypto";
  if (url.startsWith("ext:deno_web") || url.startsWith("ext:deno_url")) return "web apis";
  if (url.startsWith("ext:") || url.startsWith("node:")) return "runtime js";
  if (url.startsWith(`file://${REPO_ROOT}/bench/`)) return "bench harness";
  if (url.startsWith(`file://${REPO_ROOT}/`)) return "gateway code";
  return url === "" ? "native" : "other";
}

/**
 * Runs `spec` with `--cpu-prof`, sends `scenario(base)` for `seconds` at 32 connections after a
 * warm-up, keeps the profile as `<keep>` and returns its summary.
 */
export async function profileServer(
  spec: ServerSpec,
  scenario: (base: string) => Scenario | Promise<Scenario>,
  seconds: number,
  dir: string,
  keep: string,
) {
  const tmp = await Deno.makeTempDir({ dir, prefix: "prof-" });
  const server = await spawnServer("profiled", spec, {
    flags: ["--cpu-prof", `--cpu-prof-dir=${tmp}`],
  });
  const spawned = performance.now() - server.coldMs;
  const s = await scenario(spec.gateway ? `${server.url}/functions/v1/gateway` : server.url);
  await measure(s, 8, 1, 70_000_000);
  const skipMs = performance.now() - spawned;
  const r = await measure(s, 32, seconds, 71_000_000);
  await server.stop();
  const [file] = [...Deno.readDirSync(tmp)].map((e) => `${tmp}/${e.name}`);
  await Deno.rename(file, keep); // for Chrome DevTools or `deno run -A bench/profile.ts`
  await Deno.remove(tmp, { recursive: true });
  await Deno.writeTextFile(`${keep}.json`, JSON.stringify({ requests: r.requests, skipMs }));
  return summariseProfile(JSON.parse(await Deno.readTextFile(keep)), r.requests, skipMs);
}

/** The functions with the most self time (µs in all), for `deno run bench/profile.ts <file>`. */
export function topFunctions(profile: CpuProfile, count = 25, skipMs = 0) {
  const byNode = new Map(profile.nodes.map((n) => [n.id, n]));
  const micros = new Map<string, number>();
  for (const [id, us] of samples(profile, skipMs)) {
    const { functionName, url } = byNode.get(id)!.callFrame;
    const key = `${functionName || "(anonymous)"} ${
      url.replace(/^.*registry\.npmjs\.org\//, "npm:")
    }`;
    micros.set(key, (micros.get(key) ?? 0) + us);
  }
  return [...micros].sort((a, b) => b[1] - a[1]).slice(0, count);
}

if (import.meta.main) {
  const profile = JSON.parse(await Deno.readTextFile(Deno.args[0])) as CpuProfile;
  // The bench keeps the measured part's request count and start beside each profile.
  const kept = await Deno.readTextFile(`${Deno.args[0]}.json`).then(JSON.parse, () => ({}));
  const requests = Number(Deno.args[1] ?? kept.requests ?? 1);
  const skipMs = Number(kept.skipMs ?? 0);
  console.log(summariseProfile(profile, requests, skipMs).line);
  for (const [what, us] of topFunctions(profile, 40, skipMs)) {
    console.log(`${(us / requests).toFixed(1).padStart(8)}  ${what}`);
  }
}
