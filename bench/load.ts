/**
 * A small closed-loop load generator: `connections` loops each send the next request as soon as
 * the previous answer is read, for a number of requests or a duration. Records every latency.
 */

/** One measured run. */
export interface LoadResult {
  requests: number;
  errors: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p90: number;
  p99: number;
}

/** Options for {@link runLoad}. */
export interface LoadOptions {
  connections: number;
  /** Stop after this many requests in all. */
  requests?: number;
  /** Or after this many seconds. */
  seconds?: number;
  /** Builds request number `i` (bodies must be fresh for ledger-keyed channels). */
  request: (i: number) => Request | Promise<Request>;
  /** Whether a response counts as success (default: 2xx). */
  ok?: (res: Response) => boolean;
}

/** Runs the load and returns throughput and latency percentiles (ms). */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const latencies: number[] = [];
  let next = 0;
  let errors = 0;
  const stopAt = options.seconds ? performance.now() + options.seconds * 1000 : Infinity;
  const limit = options.requests ?? Infinity;
  const ok = options.ok ?? ((res: Response) => res.ok);
  const started = performance.now();
  const loop = async () => {
    while (next < limit && performance.now() < stopAt) {
      const req = await options.request(next++);
      const t0 = performance.now();
      try {
        const res = await fetch(req);
        await res.arrayBuffer();
        if (!ok(res)) errors++;
      } catch {
        errors++;
      }
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: options.connections }, loop));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  return {
    requests: latencies.length,
    errors,
    seconds,
    perSecond: latencies.length / seconds,
    p50: at(0.5),
    p90: at(0.9),
    p99: at(0.99),
  };
}
