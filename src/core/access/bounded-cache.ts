/**
 * At most `capacity` entries, the least recently used one dropped first (a Map keeps insertion
 * order: a hit moves its entry to the end). Entries may carry an expiry, read against `now`.
 */
export class BoundedCache<V> {
  readonly #entries = new Map<string, { value: V, expiresAt: number }>()

  constructor (readonly capacity: number, private readonly now: () => number = Date.now) {}

  get (key: string): V | undefined {
    const entry = this.#entries.get(key)
    if (entry === undefined) return undefined
    this.#entries.delete(key)
    if (entry.expiresAt <= this.now()) return undefined
    this.#entries.set(key, entry)
    return entry.value
  }

  /** Keeps `value` until `ttlMs` from now (forever when not given). */
  set (key: string, value: V, ttlMs = Infinity): void {
    this.#entries.delete(key)
    if (this.#entries.size >= this.capacity) this.#entries.delete(this.#entries.keys().next().value as string)
    this.#entries.set(key, { value, expiresAt: this.now() + ttlMs })
  }

  clear (): void {
    this.#entries.clear()
  }

  get size (): number {
    return this.#entries.size
  }
}
