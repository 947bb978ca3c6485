/**
 * `deno run -A bench/profile_run.ts ["<scenario>" [seconds]]`: one scenario's server (default: the
 * gateway under "HTTPS read") profiled alone on the bench's stack, without the rest of the bench,
 * and its top functions listed (µs per request, measured part only). The profile is kept in
 * `.local/bench/<scenario>.cpuprofile` for Chrome DevTools.
 */
import { profileServer, topFunctions } from "./profile.ts";
import { requestKit } from "./requests.ts";
import { SCENARIOS, serverSpecs } from "./scenarios.ts";
import { startStack, STATE } from "./stack.ts";
import { startTlsFront } from "./tls_front.ts";
import { ensureWrk } from "./wrk.ts";

const name = Deno.args[0] ?? "HTTPS read";
const seconds = Number(Deno.args[1] ?? 8);
const scenario = SCENARIOS.find((s) => s.name === name);
if (!scenario) throw new Error(`No scenario "${name}": see bench/scenarios.ts`);
const log = (line: string) => console.error(`[profile] ${line}`);
await ensureWrk(log);
const stack = await startStack();
const tls = name.startsWith("TLS ") ? await startTlsFront(STATE, stack.rest.url, log) : undefined;
try {
  const kit = requestKit(stack, 40_000);
  const keep = `${STATE}/${name.replaceAll(" ", "-").toLowerCase()}.cpuprofile`;
  const summary = await profileServer(
    serverSpecs(stack, tls)[scenario.server],
    (base) => scenario.build({ kit, base, tag: `profile-${Date.now()}` }),
    seconds,
    STATE,
    keep,
  );
  const { requests, skipMs } = JSON.parse(await Deno.readTextFile(`${keep}.json`));
  console.log(`${name}: ${requests} requests; ${summary.line}`);
  const profile = JSON.parse(await Deno.readTextFile(keep));
  for (const [what, us] of topFunctions(profile, 40, skipMs)) {
    console.log(`${(us / requests).toFixed(1).padStart(8)}  ${what}`);
  }
} finally {
  await tls?.stop();
  await stack.stop();
}
