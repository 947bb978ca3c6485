/**
 * Local PostgreSQL for the dev stack: a data folder under the state folder, started with the
 * machine's PostgreSQL server binaries (as the `postgres` OS user when we run as root, since
 * PostgreSQL refuses to run as root), then brought to schema: `dev/platform.sql`, the pending
 * `supabase/migrations/*.sql` (recorded in `supabase_migrations.schema_migrations`), and
 * `supabase/seed.sql` when the database was just created.
 *
 * Binaries: `PG_BIN`, else `pg_config --bindir`, else the newest `/usr/lib/postgresql/<v>/bin`.
 * Files in the state folder: `db/` (data), `db-password` (superuser and authenticator password,
 * 0600), `postgres.log`.
 *
 * @module
 */
import { REPO_ROOT } from "./paths.ts";
import { assertPortFree, STACK_PORT_ENV } from "./ports.ts";

/** Options of {@link startPostgres}. */
export interface StartPostgresOptions {
  /** State folder (created when missing); the data folder is `<stateDir>/db`. */
  stateDir: string;
  /** TCP port on 127.0.0.1. */
  port: number;
  /** Wipe the data folder first. */
  reset?: boolean;
  /** Progress lines (never secrets). */
  log?: (line: string) => void;
  /** Migrations folder; default `supabase/migrations` of this repository. */
  migrationsDir?: string;
  /** Seed file; default `supabase/seed.sql` of this repository. */
  seedFile?: string;
  /**
   * Extra server settings (`-c name=value`), e.g. `shared_preload_libraries: "pg_cron"` for a test
   * of what hosted Supabase preloads. Names and values are plain words (no spaces or quotes).
   */
  settings?: Record<string, string>;
}

/** A running local PostgreSQL. */
export interface LocalPostgres {
  port: number;
  /** Superuser (`postgres`) connection URL. */
  dbUrl: string;
  /** `authenticator` connection URL, for PostgREST. */
  authenticatorUrl: string;
  /** True when the data folder was created (or reset) by this start. */
  fresh: boolean;
  /** Runs SQL as the superuser (`psql -At`, stops at the first error); returns stdout. */
  psql(sql: string): Promise<string>;
  /** Stops the server (`pg_ctl stop -m fast`). */
  stop(): Promise<void>;
}

/** Starts (creating or reusing) the local database and applies platform SQL, migrations, seed. */
export async function startPostgres(opts: StartPostgresOptions): Promise<LocalPostgres> {
  const log = opts.log ?? (() => {});
  const bin = await findPgBin();
  await Deno.mkdir(opts.stateDir, { recursive: true });
  const stateDir = await Deno.realPath(opts.stateDir);
  const dataDir = `${stateDir}/db`;
  const pwFile = `${stateDir}/db-password`;
  const logFile = `${stateDir}/postgres.log`;
  const root = Deno.uid() === 0;
  if (root) await ensureTraversable(stateDir);

  await stopLeftover(bin, dataDir, log);
  if (opts.reset) await Deno.remove(dataDir, { recursive: true }).catch(ignoreNotFound);

  const fresh = !(await exists(`${dataDir}/PG_VERSION`));
  let password: string;
  if (fresh) {
    password = await readOrCreatePassword(pwFile);
    log(`creating database in ${dataDir}`);
    await initdb(bin, dataDir, stateDir, password);
  } else {
    password = (await Deno.readTextFile(pwFile).catch(() => "")).trim();
    if (!password) {
      throw new Error(`${pwFile} is missing but ${dataDir} exists: start with reset to recreate`);
    }
  }
  assertPortFree(opts.port, STACK_PORT_ENV.db);

  await Deno.writeTextFile(logFile, "", { append: true });
  if (root) await chownPostgres(logFile);
  const extra = Object.entries(opts.settings ?? {}).map(([name, value]) => {
    if (!/^[a-z_][a-z0-9_.]*$/.test(name) || !/^[\w.,:/-]+$/.test(value)) {
      throw new Error(`PostgreSQL setting ${name}=${value} must be plain words`);
    }
    return ` -c ${name}=${value}`;
  }).join("");
  const settings = `-p ${opts.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' ` +
    "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" + extra;
  const startArgs = ["start", "-w", "-t", "60", "-s", "-D", dataDir, "-l", logFile, "-o", settings];
  const started = await runAsPostgres(`${bin}/pg_ctl`, startArgs);
  if (started.code !== 0) {
    const tail = (await Deno.readTextFile(logFile)).trim().split("\n").slice(-3).join(" | ");
    throw new Error(`PostgreSQL did not start (see ${logFile}): ${tail || started.stderr}`);
  }
  log(`PostgreSQL listening on 127.0.0.1:${opts.port}`);

  const conn = ["-h", "127.0.0.1", "-p", `${opts.port}`, "-U", "postgres", "-d", "postgres"];
  const psqlArgs = [...conn, "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1"];
  const env = { PGPASSWORD: password, PGAPPNAME: "dev-stack", PGCONNECT_TIMEOUT: "10" };
  const psqlRaw: PsqlRaw = async (args, input, what = "psql") => {
    const res = await run(`${bin}/psql`, [...psqlArgs, ...args], { input, env });
    if (res.code !== 0) throw new Error(`${what} failed: ${res.stderr.trim()}`);
    return res.stdout.replace(/\n$/, "");
  };
  const psql = (sql: string) => psqlRaw([], sql);
  const stop = async () => {
    await runAsPostgres(`${bin}/pg_ctl`, ["stop", "-w", "-s", "-m", "fast", "-D", dataDir]);
  };

  try {
    // The password goes through stdin, never argv (visible in `ps`).
    const platform =
      `\\set authenticator_password '${password}'\n\\i '${REPO_ROOT}/dev/platform.sql'\n`;
    await psqlRaw([], platform, "dev/platform.sql");
    await applyMigrations(psqlRaw, opts.migrationsDir ?? `${REPO_ROOT}/supabase/migrations`, log);
    const seed = opts.seedFile ?? `${REPO_ROOT}/supabase/seed.sql`;
    if (fresh && (await exists(seed))) {
      log(`seeding from ${seed}`);
      await psqlRaw(["-1", "-f", seed], undefined, `seed ${seed}`);
    }
  } catch (err) {
    await stop();
    // A half-initialised new database would never get its seed: start from scratch next time.
    if (fresh) await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    throw err;
  }
  const url = (user: string) => `postgresql://${user}:${password}@127.0.0.1:${opts.port}/postgres`;
  const [dbUrl, authenticatorUrl] = [url("postgres"), url("authenticator")];
  return { port: opts.port, dbUrl, authenticatorUrl, fresh, psql, stop };
}

type PsqlRaw = (args: string[], input?: string, what?: string) => Promise<string>;

async function applyMigrations(psqlRaw: PsqlRaw, dir: string, log: (l: string) => void) {
  const files: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) if (e.name.endsWith(".sql")) files.push(e.name);
  } catch (err) {
    ignoreNotFound(err);
  }
  if (files.sort().length === 0) return;
  const done = new Set(
    (await psqlRaw([], "select version from supabase_migrations.schema_migrations")).split("\n"),
  );
  for (const file of files) {
    const m = /^(\d+)_(.+)\.sql$/.exec(file);
    if (!m) {
      log(`skipping ${file}: migration names look like <timestamp>_<name>.sql`);
      continue;
    }
    if (done.has(m[1])) continue;
    log(`applying migration ${file}`);
    const record = `insert into supabase_migrations.schema_migrations (version, name) values ` +
      `('${m[1]}', '${m[2].replaceAll("'", "''")}')`;
    await psqlRaw(["-1", "-f", `${dir}/${file}`, "-c", record], undefined, `migration ${file}`);
  }
}

async function initdb(bin: string, dataDir: string, stateDir: string, password: string) {
  await Deno.remove(dataDir, { recursive: true }).catch(ignoreNotFound); // a failed initdb's rest
  await Deno.mkdir(dataDir, { recursive: true, mode: 0o700 });
  await Deno.chmod(dataDir, 0o700);
  const root = Deno.uid() === 0;
  if (root) await chownPostgres(dataDir);
  const pwTmp = `${stateDir}/.initdb-password`;
  await Deno.writeTextFile(pwTmp, password + "\n", { mode: 0o600 });
  try {
    if (root) await chownPostgres(pwTmp);
    const res = await runAsPostgres(`${bin}/initdb`, [
      ...["-D", dataDir, "-U", "postgres", "-A", "scram-sha-256", `--pwfile=${pwTmp}`],
      ...["-E", "UTF8", "--locale=C.UTF-8", "-N"],
    ]);
    if (res.code !== 0) throw new Error(`initdb failed: ${res.stderr.trim().split("\n").pop()}`);
  } finally {
    await Deno.remove(pwTmp).catch(ignoreNotFound);
  }
}

/** Stops a server a previous run left up on this data folder, or drops a stale pid file. */
async function stopLeftover(bin: string, dataDir: string, log: (l: string) => void) {
  const pidFile = `${dataDir}/postmaster.pid`;
  const text = await Deno.readTextFile(pidFile).catch(() => null);
  if (text === null) return;
  const pid = Number(text.split("\n")[0]);
  if (await isAlive(pid, dataDir)) {
    log(`stopping PostgreSQL left running by a previous run (pid ${pid})`);
    await runAsPostgres(`${bin}/pg_ctl`, ["stop", "-w", "-s", "-m", "immediate", "-D", dataDir]);
  } else {
    log("removing stale postmaster.pid");
    await Deno.remove(pidFile).catch(ignoreNotFound);
  }
}

/** The `postgres` user must reach the data folder: every ancestor needs the "other" x bit. */
async function ensureTraversable(stateDir: string) {
  const st = await Deno.stat(stateDir);
  if (((st.mode ?? 0) & 0o001) === 0) await Deno.chmod(stateDir, (st.mode ?? 0o755) | 0o001);
  let dir = stateDir;
  while (dir !== "/") {
    dir = dir.slice(0, dir.lastIndexOf("/")) || "/";
    if ((((await Deno.stat(dir)).mode ?? 0) & 0o001) === 0) {
      throw new Error(`the postgres user cannot enter ${dir}: run \`chmod o+x ${dir}\``);
    }
  }
}

async function readOrCreatePassword(file: string): Promise<string> {
  const old = (await Deno.readTextFile(file).catch(() => "")).trim();
  if (old) return old;
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  const pw = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  await Deno.writeTextFile(file, pw + "\n", { mode: 0o600 });
  await Deno.chmod(file, 0o600);
  return pw;
}

const NOT_FOUND =
  "PostgreSQL server not found: install it with `apt-get install -y postgresql` or set PG_BIN";

/** `PG_BIN`, else `pg_config --bindir`, else the newest `/usr/lib/postgresql/<v>/bin`. */
async function findPgBin(): Promise<string> {
  const ok = async (dir: string) =>
    (await Promise.all(["postgres", "pg_ctl", "initdb", "psql"].map((b) => exists(`${dir}/${b}`))))
      .every(Boolean);
  const fromEnv = Deno.env.get("PG_BIN")?.trim();
  if (fromEnv) {
    if (await ok(fromEnv)) return fromEnv;
    throw new Error(`PG_BIN=${fromEnv} has no postgres, pg_ctl, initdb and psql: fix PG_BIN`);
  }
  const cfg = await run("pg_config", ["--bindir"]).catch(() => null);
  if (cfg?.code === 0 && (await ok(cfg.stdout.trim()))) return cfg.stdout.trim();
  const versions: number[] = [];
  try {
    for await (const e of Deno.readDir("/usr/lib/postgresql")) versions.push(Number(e.name));
  } catch { /* no Debian-style install */ }
  for (const v of versions.filter(Number.isInteger).sort((a, b) => b - a)) {
    if (await ok(`/usr/lib/postgresql/${v}/bin`)) return `/usr/lib/postgresql/${v}/bin`;
  }
  throw new Error(NOT_FOUND);
}

type RunResult = { code: number; stdout: string; stderr: string };

/** Runs a program to completion; `input` goes to its stdin. */
async function run(
  cmd: string,
  args: string[],
  opts: { input?: string; env?: Record<string, string> } = {},
): Promise<RunResult> {
  const child = new Deno.Command(cmd, {
    args,
    env: opts.env,
    cwd: "/",
    stdin: opts.input === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (opts.input !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(opts.input));
    await w.close();
  }
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** Runs a server program as the `postgres` OS user when we are root, else as ourselves. */
function runAsPostgres(cmd: string, args: string[]): Promise<RunResult> {
  return Deno.uid() === 0 ? run("runuser", ["-u", "postgres", "--", cmd, ...args]) : run(cmd, args);
}

/** True when `pid` is a live postgres process serving `dataDir` (not a recycled pid). */
async function isAlive(pid: number, dataDir: string): Promise<boolean> {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  const cmdline = await Deno.readTextFile(`/proc/${pid}/cmdline`).catch(() => "");
  return cmdline.includes("postgres") && cmdline.includes(dataDir);
}

async function chownPostgres(path: string) {
  const res = await run("chown", ["postgres:postgres", path]);
  if (res.code !== 0) throw new Error(`chown postgres ${path} failed: ${res.stderr.trim()}`);
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

function ignoreNotFound(err: unknown) {
  if (!(err instanceof Deno.errors.NotFound)) throw err;
}
