import type { EphemeralStore } from './store.js'

interface Entry {
  value: string | string[] | Map<string, string>
  expiresAt: number
}

// Expired keys are dropped when read, and swept every so many writes so that keys nobody
// reads again do not pile up; no timer is needed.
const SWEEP_EVERY_WRITES = 1024

/** The single-process store. */
export class MemoryStore implements EphemeralStore {
  readonly #entries = new Map<string, Entry>()
  #writes = 0

  constructor (private readonly now: () => number = Date.now) {}

  #expiry (ttlMs: number | undefined): number {
    return ttlMs ? this.now() + ttlMs : Infinity
  }

  #live (key: string): Entry | undefined {
    const entry = this.#entries.get(key)
    if (entry && entry.expiresAt <= this.now()) {
      this.#entries.delete(key)
      return undefined
    }
    return entry
  }

  #write (key: string, entry: Entry): void {
    this.#entries.set(key, entry)
    if (++this.#writes % SWEEP_EVERY_WRITES === 0) {
      const now = this.now()
      for (const [k, e] of this.#entries) if (e.expiresAt <= now) this.#entries.delete(k)
    }
  }

  async set (key: string, value: string, ttlMs?: number): Promise<void> {
    this.#write(key, { value, expiresAt: this.#expiry(ttlMs) })
  }

  async setIfAbsent (key: string, value: string, ttlMs?: number): Promise<boolean> {
    if (this.#live(key)) return false
    this.#write(key, { value, expiresAt: this.#expiry(ttlMs) })
    return true
  }

  async get (key: string): Promise<string | null> {
    const value = this.#live(key)?.value
    return typeof value === 'string' ? value : null
  }

  async take (key: string): Promise<string | null> {
    const value = this.#live(key)?.value
    if (typeof value !== 'string') return null
    this.#entries.delete(key)
    return value
  }

  async touch (key: string, ttlMs: number): Promise<boolean> {
    const entry = this.#live(key)
    if (!entry) return false
    entry.expiresAt = this.#expiry(ttlMs)
    return true
  }

  async getAndTouch (key: string, ttlMs: number): Promise<string | null> {
    const entry = this.#live(key)
    if (typeof entry?.value !== 'string') return null
    entry.expiresAt = this.#expiry(ttlMs)
    return entry.value
  }

  async delete (key: string): Promise<boolean> {
    const existed = this.#live(key) !== undefined
    this.#entries.delete(key)
    return existed
  }

  async push (key: string, value: string, ttlMs?: number): Promise<number> {
    const entry = this.#live(key)
    const list = Array.isArray(entry?.value) ? entry.value : []
    list.push(value)
    this.#write(key, { value: list, expiresAt: this.#expiry(ttlMs) })
    return list.length
  }

  async drain (key: string): Promise<string[]> {
    const value = this.#live(key)?.value
    this.#entries.delete(key)
    return Array.isArray(value) ? value : []
  }

  async hashSet (key: string, field: string, value: string, ttlMs?: number): Promise<void> {
    const entry = this.#live(key)
    const hash = entry?.value instanceof Map ? entry.value : new Map<string, string>()
    hash.set(field, value)
    this.#write(key, { value: hash, expiresAt: this.#expiry(ttlMs) })
  }

  async hashDelete (key: string, field: string): Promise<boolean> {
    const hash = this.#live(key)?.value
    if (!(hash instanceof Map) || !hash.delete(field)) return false
    if (hash.size === 0) this.#entries.delete(key)
    return true
  }

  async hashGetAll (key: string): Promise<Map<string, string>> {
    const hash = this.#live(key)?.value
    // A copy: the caller may keep it while the stored hash changes.
    return hash instanceof Map ? new Map(hash) : new Map()
  }

  isReady (): boolean {
    return true
  }

  async close (): Promise<void> {
    this.#entries.clear()
  }
}
