/**
 * The processes the bench drives, each a Deno server spawned the same way: the gateway (on the
 * plain path with its own HTTP/1.1 client or with Deno's `fetch`, with fifty Telegram bots, on the
 * TLS path), the peer and the floors on both paths, and an empty server. Which ones run is decided
 * by the scenarios wanted; each is started once and measured in every round.
 */
import { freePort } from "../dev/ports.ts";
import { REPO_ROOT } from "../dev/paths.ts";

/** How to start one kind of server. */
export interface ServerSpec {
  script: string;
  env: Record<string, string>;
  /** A gateway: answers `/__bench/calls` and `/__bench/memory`, and serves the probes below. */
  gateway?: boolean;
  /** The working folder (default: this one): another checkout's, to compare two versions. */
  cwd?: string;
}

/** A running server. */
export interface Server {
  name: string;
  spec: ServerSpec;
  /** `http://127.0.0.1:<port>` */
  url: string;
  pid: number;
  /** Milliseconds from spawn to the first 200 of the readiness probe. */
  coldMs: number;
  stop(): Promise<void>;
}

/** What a cold start waits for: the first 200 of this request to the new process. */
export type Probe = (base: string) => Promise<Response>;

/** Any answer at all (the peer and the floors have no health route). */
export const anyAnswer: Probe = (base) =>
  fetch(`${base}/`).then((r) => new Response(r.body, { status: 200 }));
/** A gateway's `GET /health`. */
export const healthProbe: Probe = (base) => fetch(`${base}/functions/v1/gateway/health`);

export const script = (name: string) => `${REPO_ROOT}/bench/${name}`;

/**
 * Spawns `spec` on a free port (`BENCH_PORT`) with `flags` for Deno; resolves once `probe`
 * (default: a gateway's health, or any answer) gets a 200, with the time that took.
 */
export async function spawnServer(
  name: string,
  spec: ServerSpec,
  { flags = [] as string[], probe = spec.gateway ? healthProbe : anyAnswer } = {},
): Promise<Server> {
  const port = freePort();
  const started = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-prompt", "--v8-flags=--expose-gc", ...flags, spec.script],
    env: { ...spec.env, BENCH_PORT: String(port) },
    cwd: spec.cwd,
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch { /* gone */ }
    await child.status;
  };
  for (;;) {
    try {
      const res = await probe(url);
      await res.body?.cancel();
      if (res.status === 200) break;
    } catch { /* not listening yet */ }
    if (performance.now() - started > 20_000) {
      await stop();
      throw new Error(`${name} (${spec.script}) did not become ready`);
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  return { name, spec, url, pid: child.pid, coldMs: performance.now() - started, stop };
}
