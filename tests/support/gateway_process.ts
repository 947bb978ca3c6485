/**
 * A gateway as its own OS process, for tests that need a second instance with caches of its own
 * or one to kill: by default the real entry point (`supabase/functions/gateway/index.ts`), on a
 * free port (`DENO_SERVE_ADDRESS`), configured only by its environment.
 */
import { freePort } from "../../dev/ports.ts";
import { REPO_ROOT } from "../../dev/paths.ts";

/** The real entry point, as Supabase runs it. */
export const ENTRY_POINT = `${REPO_ROOT}/supabase/functions/gateway/index.ts`;

/** A running gateway process. */
export interface GatewayProcess {
  env: Record<string, string>;
  /** JSON log lines it printed so far. */
  logs: string[];
  /** Sends a request to `path` under `/functions/v1/gateway`. */
  request(path: string, init?: RequestInit): Promise<Response>;
  /** Sends a signal (SIGKILL: a crash). */
  kill(signal: Deno.Signal): void;
  /** Stops it and waits for the exit. */
  stop(): Promise<void>;
}

/** Spawns `entry` with `env` and waits for its first 200 from `/health`. */
export async function spawnGateway(
  env: Record<string, string>,
  entry = ENTRY_POINT,
): Promise<GatewayProcess> {
  const port = freePort();
  const base = `http://127.0.0.1:${port}/functions/v1/gateway`;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-prompt", entry],
    env: { ...env, DENO_SERVE_ADDRESS: `tcp:127.0.0.1:${port}`, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const logs: string[] = [];
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    let carry = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      const lines = (carry + chunk).split("\n");
      carry = lines.pop() ?? "";
      logs.push(...lines.filter((l) => l.trim()));
    }
  };
  const output = Promise.all([collect(child.stdout), collect(child.stderr)]);
  let exited = false;
  const status = child.status.then((s) => (exited = true, s));
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (exited) throw new Error(`gateway exited at start: ${logs.slice(-5).join(" | ")}`);
    try {
      const res = await fetch(`${base}/health`);
      await res.body?.cancel();
      if (res.status === 200) break;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) throw new Error("gateway did not become ready in 20 s");
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    env,
    logs,
    request: (path, init) => fetch(`${base}${path}`, init),
    kill(signal) {
      if (!exited) child.kill(signal);
    },
    async stop() {
      if (!exited) child.kill("SIGTERM");
      await status;
      await output;
    },
  };
}
