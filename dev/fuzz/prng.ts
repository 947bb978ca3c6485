/**
 * The fuzzer's only source of randomness: mulberry32, a tiny seeded PRNG, and helpers on top.
 * Every case gets its own generator derived from (seed, channel, case index), so one case can be
 * regenerated alone (`--case I`) and adding cases never changes the earlier ones.
 */

/** A seeded random source with the picks the generators need. */
export class Rng {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** A float in [0, 1) (mulberry32). */
  next(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One element of `items`. */
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  /** One key of `weights`, chosen in proportion to its weight. */
  weighted<K extends string>(weights: Readonly<Record<K, number>>): K {
    const entries = Object.entries(weights) as [K, number][];
    let roll = this.next() * entries.reduce((sum, [, w]) => sum + w, 0);
    for (const [key, weight] of entries) {
      roll -= weight;
      if (roll < 0) return key;
    }
    return entries[entries.length - 1][0];
  }

  /** `length` characters drawn from `alphabet`. */
  text(length: number, alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"): string {
    let out = "";
    for (let i = 0; i < length; i++) out += alphabet[Math.floor(this.next() * alphabet.length)];
    return out;
  }

  /** A decimal string of `length` digits (no leading zero). */
  digits(length: number): string {
    return String(this.int(1, 9)) + this.text(length - 1, "0123456789");
  }
}

/** The generator for one case: a hash of the run's seed, the channel and the index. */
export function caseRng(seed: number, channel: string, index: number): Rng {
  let h = 2166136261 ^ (seed >>> 0);
  for (const ch of `${channel}:${index}`) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
  return new Rng(Math.imul(h ^ (h >>> 16), 2246822507) >>> 0);
}
