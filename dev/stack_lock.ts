/**
 * One stack per state folder: `<stateDir>/stack.json` names the process that runs the stack there
 * (its PID, URL and ports) for as long as it runs. A second start on the same folder refuses in
 * one line naming that process instead of stopping its PostgreSQL; a file whose process is gone
 * (a crash, `kill -9`) is stale and taken over. Tools that talk to the running stack
 * (`telegram:webhook --local`, `discord:register --local`) read its URL from the same file.
 *
 * @module
 */
import type { StackPorts } from "./ports.ts";

/** What `stack.json` says about the running stack. */
export interface RunningStack {
  pid: number;
  /** The front door, e.g. `http://127.0.0.1:54321`. */
  url: string;
  ports: StackPorts;
  /** ISO time of the start. */
  started: string;
}

/** A held lock; `release` removes the file if it is still ours. */
export interface StackLock {
  release(): Promise<void>;
}

const lockFile = (stateDir: string) => `${stateDir}/stack.json`;

/**
 * Takes the state folder for this process, or throws a one-line error naming the live stack
 * that already holds it.
 */
export async function acquireStackLock(
  stateDir: string,
  stack: { url: string; ports: StackPorts },
): Promise<StackLock> {
  await Deno.mkdir(stateDir, { recursive: true });
  const file = lockFile(stateDir);
  const mine: RunningStack = { pid: Deno.pid, ...stack, started: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      // createNew is atomic: of two starts racing, exactly one creates the file.
      await Deno.writeTextFile(file, JSON.stringify(mine) + "\n", { createNew: true, mode: 0o644 });
      return {
        async release() {
          const now = await readLock(file);
          if (now?.pid === Deno.pid) await Deno.remove(file).catch(() => {});
        },
      };
    } catch (err) {
      if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
    }
    const holder = await readLock(file);
    if (!holder && (await youngerThan(file, 5_000))) {
      // Unreadable but just written: another start is between creating and filling it.
      throw new Error(`another start is under way in ${stateDir}: wait for it, then try again`);
    }
    if (holder && (await isRunningStack(holder.pid))) {
      throw new Error(
        `a local stack is already running from ${stateDir} (pid ${holder.pid}, ${holder.url}): ` +
          `use it, stop it (Ctrl-C in its terminal, or kill ${holder.pid}), or set ` +
          `STACK_STATE_DIR and STACK_PORT, STACK_DB_PORT, STACK_REST_PORT for a second one`,
      );
    }
    await Deno.remove(file).catch(() => {}); // stale: its process is gone
  }
  throw new Error(`could not take ${file}: another start is racing this one; try again`);
}

/** The stack running from `stateDir`, or null when none is (no file, or its process is gone). */
export async function runningStack(stateDir: string): Promise<RunningStack | null> {
  const holder = await readLock(lockFile(stateDir));
  return holder && (await isRunningStack(holder.pid)) ? holder : null;
}

async function youngerThan(file: string, ms: number): Promise<boolean> {
  const mtime = await Deno.stat(file).then((st) => st.mtime, () => null);
  return mtime !== null && Date.now() - mtime.getTime() < ms;
}

async function readLock(file: string): Promise<RunningStack | null> {
  try {
    const parsed = JSON.parse(await Deno.readTextFile(file));
    return Number.isInteger(parsed?.pid) && typeof parsed?.url === "string" ? parsed : null;
  } catch {
    return null; // missing, or half-written by a start that crashed
  }
}

/** True when `pid` is alive and a Deno process (a recycled PID of another program is not). */
async function isRunningStack(pid: number): Promise<boolean> {
  if (pid === Deno.pid) return true;
  const cmdline = await Deno.readTextFile(`/proc/${pid}/cmdline`).catch(() => null);
  return cmdline !== null && cmdline.includes("deno");
}
