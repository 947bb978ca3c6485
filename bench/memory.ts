/**
 * Memory over a long run: after warm-up, 100,000 requests of a scenario at 32 connections, the
 * gateway's RSS and V8 heap sampled every 10,000 right after a full garbage collection (the bench
 * starts gateways with `--expose-gc`), so a sample shows what is retained, not where the heap's
 * saw-tooth happens to be. The trend is a Theil-Sen slope, which one resize does not move.
 */
import type { Server } from "./servers.ts";
import { wrk } from "./wrk.ts";
import type { Scenario } from "./wrk.ts";

export const MEMORY_REQUESTS = 100_000;
/** A slow machine stops short of MEMORY_REQUESTS rather than run the bench past its time. */
export const MEMORY_BUDGET_MS = 4 * 60_000;

/**
 * RSS and heap samples (MB) of `server` over {@link MEMORY_REQUESTS} of `s`, or as many as
 * `budgetMs` allows.
 */
export async function memoryRun(
  server: Server,
  s: Scenario,
  counterBase: number,
  budgetMs = MEMORY_BUDGET_MS,
) {
  const rss: number[] = [];
  const heap: number[] = [];
  const sample = async () => {
    const res = await fetch(`${server.url}/__bench/memory`);
    const usage = await res.json() as { rss: number; heapUsed: number };
    rss.push(usage.rss / 2 ** 20);
    heap.push(usage.heapUsed / 2 ** 20);
  };
  await wrk(s, 32, 5, counterBase);
  await sample();
  let sent = 0;
  let counter = counterBase + 1_000_000;
  const started = performance.now();
  while (sent < MEMORY_REQUESTS && performance.now() - started < budgetMs) {
    // wrk runs for a time, not a count: short runs, sampled each time 10,000 more were sent.
    const r = await wrk(s, 32, 2, counter);
    counter += r.requests + 1;
    const before = Math.floor(sent / 10_000);
    sent += r.requests;
    if (Math.floor(sent / 10_000) > before) await sample();
  }
  return { rss, heap, growth: theilSen(rss) * (rss.length - 1), requests: sent };
}

export const median = (xs: number[]) =>
  xs.length ? [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] : NaN;

/** The median of the pairwise slopes of equally spaced samples (per step). */
export function theilSen(ys: number[]): number {
  const slopes: number[] = [];
  for (let i = 0; i < ys.length; i++) {
    for (let j = i + 1; j < ys.length; j++) slopes.push((ys[j] - ys[i]) / (j - i));
  }
  return slopes.length ? median(slopes) : NaN;
}
