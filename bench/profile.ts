/**
 * Summarises a V8 CPU profile (`deno run --cpu-prof`) by area: where the gateway's time went per
 * request (the HTTP server, the fetch client, web APIs, each npm package, the project's own code,
 * garbage collection), so a regression names its cause.
 */
import { REPO_ROOT } from "../dev/paths.ts";

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

/** Self time per area in µs per request, largest first, and a one-line rendering. */
export function summariseProfile(profile: CpuProfile, requests: number) {
  const areaOf = new Map<number, string>();
  for (const node of profile.nodes) areaOf.set(node.id, area(node.callFrame));
  const micros = new Map<string, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const a = areaOf.get(profile.samples[i]) ?? "other";
    micros.set(a, (micros.get(a) ?? 0) + (profile.timeDeltas[i + 1] ?? 0));
  }
  micros.delete("idle");
  const perRequest = [...micros].map(([a, us]) => [a, us / Math.max(1, requests)] as const)
    .sort((x, y) => y[1] - x[1]);
  const total = perRequest.reduce((s, [, us]) => s + us, 0);
  const line = `total ${total.toFixed(0)}: ` +
    perRequest.filter(([, us]) => us >= 3).map(([a, us]) => `${a} ${us.toFixed(0)}`).join(", ");
  return { total, areas: Object.fromEntries(perRequest), line };
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

/** The functions with the most self time (µs in all), for `deno run bench/profile.ts <file>`. */
export function topFunctions(profile: CpuProfile, count = 25) {
  const byNode = new Map(profile.nodes.map((n) => [n.id, n]));
  const micros = new Map<string, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const { functionName, url } = byNode.get(profile.samples[i])!.callFrame;
    const key = `${functionName || "(anonymous)"} ${
      url.replace(/^.*registry\.npmjs\.org\//, "npm:")
    }`;
    micros.set(key, (micros.get(key) ?? 0) + (profile.timeDeltas[i + 1] ?? 0));
  }
  return [...micros].sort((a, b) => b[1] - a[1]).slice(0, count);
}

if (import.meta.main) {
  const profile = JSON.parse(await Deno.readTextFile(Deno.args[0])) as CpuProfile;
  const requests = Number(Deno.args[1] ?? 1);
  console.log(summariseProfile(profile, requests).line);
  for (const [what, us] of topFunctions(profile)) {
    console.log(`${(us / requests).toFixed(1).padStart(8)}  ${what}`);
  }
}
