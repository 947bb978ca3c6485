/**
 * `deno task test`: the whole suite. Starts a fresh local stack for the tests on free ports with
 * its own state folder (so a running `deno task dev`, or another test run, is not disturbed),
 * runs `deno test` with the stack's settings in the environment, stops the stack, removes its
 * folder, and ends with the line `N passed, N failed`. Extra arguments go to `deno test` (e.g. a
 * file or `--filter`).
 */
import { freePort } from "./ports.ts";
import { startStack } from "./stack.ts";
import { createLogger } from "../supabase/functions/_shared/log.ts";
import { REPO_ROOT } from "./paths.ts";

const RUNS_DIR = `${REPO_ROOT}/.local/test-runs`;
const STATE_DIR = `${RUNS_DIR}/${Deno.pid}`;
await removeStaleRuns();
const ports = { front: freePort(), db: freePort(), rest: freePort() };

const started = performance.now();
let stack;
try {
  stack = await startStack({
    stateDir: STATE_DIR,
    ports,
    reset: true,
    env: {}, // the suite's settings are its own, whatever the shell exports
    drainEveryMs: 0, // each test drains its own gateways' notifications
    log: (line) => console.error(`[stack] ${line}`),
    gatewayLog: createLogger(() => {}),
  });
} catch (err) {
  console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
  console.log("0 passed, 1 failed");
  Deno.exit(1);
}
const stackSeconds = (performance.now() - started) / 1000;
console.error(`[stack] ready in ${stackSeconds.toFixed(1)} s`);

const filesOrFlags = Deno.args.length ? Deno.args : ["tests/"];
const child = new Deno.Command(Deno.execPath(), {
  args: ["test", "-A", "--no-prompt", ...filesOrFlags],
  cwd: REPO_ROOT,
  env: {
    ...stack.gatewayEnv,
    STACK_STATE_DIR: STATE_DIR,
    STACK_URL: stack.url,
    STACK_REST_URL: stack.rest.url,
    STACK_DB_PORT: String(ports.db),
    STACK_DB_URL: stack.db.dbUrl,
    STACK_AUTHENTICATOR_URL: stack.db.authenticatorUrl,
    NO_COLOR: "1",
  },
  stdout: "piped",
  stderr: "inherit",
}).spawn();

// Pass the runner's output through while keeping its summary line.
let summary = "";
const decoder = new TextDecoder();
let carry = "";
for await (const chunk of child.stdout) {
  await Deno.stdout.write(chunk);
  carry += decoder.decode(chunk, { stream: true });
  const lines = carry.split("\n");
  carry = lines.pop() ?? "";
  for (const line of lines) if (/^(ok|FAILED) \| \d+ passed/.test(line)) summary = line;
}
const { code } = await child.status;
await stack.stop();
await Deno.remove(STATE_DIR, { recursive: true }).catch(() => {});

const passed = Number(/(\d+) passed/.exec(summary)?.[1] ?? 0);
const failed = Number(/(\d+) failed/.exec(summary)?.[1] ?? (code === 0 ? 0 : 1));
console.error(
  `[test] stack start ${stackSeconds.toFixed(1)} s, total ${
    ((performance.now() - started) / 1000).toFixed(1)
  } s`,
);
console.log(`${passed} passed, ${failed || (code === 0 ? 0 : Math.max(failed, 1))} failed`);
Deno.exit(code);

/** Folders of earlier runs whose process is gone (a crashed or killed run). */
async function removeStaleRuns(): Promise<void> {
  try {
    for await (const entry of Deno.readDir(RUNS_DIR)) {
      const pid = Number(entry.name);
      if (!Number.isInteger(pid) || pid === Deno.pid) continue;
      const alive = await Deno.stat(`/proc/${pid}`).then(() => true, () => false);
      if (!alive) {
        await Deno.remove(`${RUNS_DIR}/${entry.name}`, { recursive: true }).catch(() => {});
      }
    }
  } catch { /* no earlier runs */ }
}
