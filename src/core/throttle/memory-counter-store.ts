import type { Count, CounterStore } from './counter-store.js'

interface Entry { count: number, expiresAt: number }

// Expired counters are dropped when read, and swept every so many increments so that the keys
// of addresses that never come back do not pile up (an attacker rotating addresses would
// otherwise grow the map without bound); no timer is needed.
const SWEEP_EVERY = 1024
const NONE: Count = { count: 0, resetInMs: 0 }

/** The single-process counters. */
export class MemoryCounterStore implements CounterStore {
  readonly #entries = new Map<string, Entry>()
  #writes = 0

  constructor (private readonly now: () => number = Date.now) {}

  #live (key: string, now: number): Entry | undefined {
    const entry = this.#entries.get(key)
    if (entry && entry.expiresAt <= now) {
      this.#entries.delete(key)
      return undefined
    }
    return entry
  }

  async increment (key: string, windowMs: number): Promise<Count> {
    const now = this.now()
    let entry = this.#live(key, now)
    if (entry) entry.count++
    else this.#entries.set(key, entry = { count: 1, expiresAt: now + windowMs })
    if (++this.#writes % SWEEP_EVERY === 0) {
      for (const [k, e] of this.#entries) if (e.expiresAt <= now) this.#entries.delete(k)
    }
    return { count: entry.count, resetInMs: entry.expiresAt - now }
  }

  async read (key: string): Promise<Count> {
    const now = this.now()
    const entry = this.#live(key, now)
    return entry ? { count: entry.count, resetInMs: entry.expiresAt - now } : NONE
  }

  async delete (key: string): Promise<void> {
    this.#entries.delete(key)
  }

  isReady (): boolean {
    return true
  }

  async close (): Promise<void> {
    this.#entries.clear()
  }
}
