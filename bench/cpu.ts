/**
 * CPU accounting from `/proc`: the CPU each process of a scenario used per request (the process
 * under test, PostgREST, PostgreSQL and, for the TLS scenarios, nginx), and the machine's load and
 * steal time. On a shared machine throughput moves with what the neighbours do; CPU per request
 * hardly does, so it is what the bench judges a change by.
 */

/** Cumulative CPU ticks (1/100 s) of the parts of one scenario, and of the machine. */
export interface CpuReading {
  self: number;
  postgrest: number;
  postgres: number;
  nginx: number;
  steal: number;
  total: number;
}

/** µs of CPU per request of each part between two readings, and the steal in % of the machine. */
export interface CpuShare {
  self: number;
  postgrest: number;
  postgres: number;
  nginx: number;
  stealPct: number;
}

interface Proc {
  pid: number;
  ppid: number;
  ticks: number;
  cmd: string;
}

function readProc(pid: number): Proc | undefined {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const f = stat.slice(stat.lastIndexOf(") ") + 2).split(" ");
    const cmd = Deno.readTextFileSync(`/proc/${pid}/cmdline`);
    return { pid, ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]), cmd };
  } catch {
    return undefined; // gone
  }
}

/**
 * A reader of {@link CpuReading}s for the bench's own stack: PostgREST is a child of this
 * process, PostgreSQL the postmaster whose command line names `dataDir` and its backends, nginx
 * the master whose command line names `nginxConf` and its workers.
 */
export function cpuReader(dataDir: string, nginxConf: string) {
  return (pid?: number): CpuReading => {
    const all: Proc[] = [];
    for (const e of Deno.readDirSync("/proc")) {
      if (!/^\d+$/.test(e.name)) continue;
      const p = readProc(Number(e.name));
      if (p) all.push(p);
    }
    const sum = (ps: Proc[]) => ps.reduce((n, p) => n + p.ticks, 0);
    const family = (needle: string) => {
      const root = all.find((p) => p.cmd.includes(needle))?.pid;
      return root === undefined ? 0 : sum(all.filter((p) => p.pid === root || p.ppid === root));
    };
    const machine = machineTicks();
    return {
      self: pid === undefined ? 0 : readProc(pid)?.ticks ?? 0,
      postgrest: sum(all.filter((p) => p.ppid === Deno.pid && p.cmd.includes("postgrest"))),
      postgres: family(dataDir),
      nginx: family(nginxConf),
      steal: machine.steal,
      total: machine.total,
    };
  };
}

/** The CPU per request between two readings `n` requests apart. */
export function cpuPerRequest(a: CpuReading, b: CpuReading, n: number): CpuShare {
  const us = (ticks: number) => (ticks * 10_000) / Math.max(n, 1);
  return {
    self: us(b.self - a.self),
    postgrest: us(b.postgrest - a.postgrest),
    postgres: us(b.postgres - a.postgres),
    nginx: us(b.nginx - a.nginx),
    stealPct: (100 * (b.steal - a.steal)) / Math.max(b.total - a.total, 1),
  };
}

/** The 1, 5 and 15 minute load averages. */
export const loadAverage = (): string =>
  Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");

/**
 * The machine's ticks so far (all cores), from the first line of `/proc/stat`: in all (user to
 * steal), busy (less idle and iowait) and stolen.
 */
function machineTicks(): { busy: number; steal: number; total: number } {
  const f = Deno.readTextFileSync("/proc/stat").split("\n")[0].trim().split(/\s+/).slice(1, 9)
    .map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - f[3] - f[4], steal: f[7], total };
}

/**
 * Waits until the machine is quiet: less than `busyBelow` of all cores busy over a 250 ms window
 * (what a scenario left behind, such as a gateway still sending a press scenario's replies or
 * PostgreSQL's autovacuum after the writes, would otherwise be charged to the next one), for at
 * most `maxMs`. Returns the ms waited and the share busy in the last window.
 */
export async function settle(
  busyBelow = 0.25,
  maxMs = 4_000,
): Promise<{ ms: number; busy: number }> {
  const started = performance.now();
  for (;;) {
    const a = machineTicks();
    await new Promise((r) => setTimeout(r, 250));
    const b = machineTicks();
    const busy = (b.busy - a.busy) / Math.max(b.total - a.total, 1);
    const ms = performance.now() - started;
    if (busy < busyBelow || ms >= maxMs) return { ms, busy };
  }
}
