/**
 * A cache of at most `capacity` entries that forgets the older half at once: two maps, the newer
 * one taking every insertion and, when it holds half the capacity, becoming the older one while the
 * previous older one is dropped. Evicting entries one at a time from a single Map (deleting its
 * first key) makes V8 walk past every deleted slot at the front of the table, which on the hot
 * paths cost more than the lookups saved. A value set again shadows the one in the older half.
 */
export class HalvingCache<K, V> {
  readonly #half: number;
  #newer = new Map<K, V>();
  #older = new Map<K, V>();

  constructor(capacity: number) {
    this.#half = Math.max(1, Math.floor(capacity / 2));
  }

  get(key: K): V | undefined {
    return this.#newer.has(key) ? this.#newer.get(key) : this.#older.get(key);
  }

  has(key: K): boolean {
    return this.#newer.has(key) || this.#older.has(key);
  }

  set(key: K, value: V): void {
    this.#newer.set(key, value);
    if (this.#newer.size >= this.#half) {
      this.#older = this.#newer;
      this.#newer = new Map();
    }
  }

  /** Entries held, a key in both halves counted once per half: never more than the capacity. */
  get size(): number {
    return this.#newer.size + this.#older.size;
  }
}
