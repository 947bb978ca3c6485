/**
 * `deno task dev [--reset]`: starts the local stack (PostgreSQL, PostgREST, the gateway and the
 * Telegram/Discord/Slack sinks behind http://127.0.0.1:54321) with demo data, prints how to use it, and
 * stops every child on Ctrl-C or SIGTERM. `--reset` wipes the local database first.
 */
import { stackBanner } from "./banner.ts";
import { stackPortsFromEnv } from "./ports.ts";
import type { Stack } from "./stack.ts";
import { stackStateDir } from "./paths.ts";

const STATE_DIR = stackStateDir();

const reset = Deno.args.includes("--reset");
const started = performance.now();
let stack: Stack;
try {
  // Imported here: a command that fails its own checks (a bad name, a schema the channels cannot
  // serve) throws while the registry loads, and that is one line too.
  const { startStack } = await import("./stack.ts");
  stack = await startStack({
    stateDir: STATE_DIR,
    ports: stackPortsFromEnv(),
    reset,
    log: (line) => console.error(`[stack] ${line}`),
  });
} catch (err) {
  // Start-up problems are one line that says what to do; no stack trace.
  console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
  Deno.exit(1);
}
const seconds = ((performance.now() - started) / 1000).toFixed(1);
console.log(stackBanner({
  url: stack.url,
  dbUrl: stack.db.dbUrl,
  stateDir: STATE_DIR,
  seconds,
  reset,
}));

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  console.error("\n[stack] stopping…");
  await stack.stop();
  Deno.exit(0);
};
Deno.addSignalListener("SIGINT", stop);
Deno.addSignalListener("SIGTERM", stop);
