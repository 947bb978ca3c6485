/**
 * A small bounded cache with per-entry expiry, used for verified tokens, chat identities, minted
 * session tokens and the JWKS. Map insertion order gives least-recently-set eviction; reads
 * refresh recency so hot entries stay. The clock is injected so tests can drive time.
 */

/** Options for {@link TtlCache}. */
export interface TtlCacheOptions {
  /** Most entries kept; the least recently used is dropped beyond it. */
  maxEntries: number;
  /** Milliseconds clock; defaults to `Date.now`. */
  now?: () => number;
}

/** A bounded map whose entries expire at a time chosen per entry. */
export class TtlCache<K, V> {
  #entries = new Map<K, { value: V; expiresAt: number }>();
  #max: number;
  #now: () => number;

  constructor(options: TtlCacheOptions) {
    if (!(options.maxEntries >= 1)) throw new RangeError("maxEntries must be at least 1");
    this.#max = options.maxEntries;
    this.#now = options.now ?? Date.now;
  }

  /** The live value for `key`, or undefined when absent or expired. */
  get(key: K): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.#now()) {
      this.#entries.delete(key);
      return undefined;
    }
    // Refresh recency: re-insert at the end of the map's order.
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return entry.value;
  }

  /** Stores `value` until `expiresAt` (ms since epoch). */
  set(key: K, value: V, expiresAt: number): void {
    if (expiresAt <= this.#now()) return;
    this.#entries.delete(key);
    this.#entries.set(key, { value, expiresAt });
    if (this.#entries.size > this.#max) {
      const oldest = this.#entries.keys().next().value as K;
      this.#entries.delete(oldest);
    }
  }

  /** Removes `key`; returns whether it was present. */
  delete(key: K): boolean {
    return this.#entries.delete(key);
  }

  /** Removes every entry. */
  clear(): void {
    this.#entries.clear();
  }

  /** Number of entries held (expired ones included until touched). */
  get size(): number {
    return this.#entries.size;
  }
}
