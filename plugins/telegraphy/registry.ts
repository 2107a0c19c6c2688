import type { EphemeralStore } from '../../src/core/state/store.js'

const KEY = 'telegraphy:registered:'

/**
 * The registry of event names (§3.8): the configured `events`, plus names registered at run
 * time (emitting an unregistered name with `sendUnregistered`, or `registerEvent`). Runtime
 * names live in the EphemeralStore without ttl so every node sees them; each node remembers
 * the names it has seen, since a name is never unregistered.
 */
export class EventRegistry {
  readonly #known: Set<string>

  constructor (private readonly store: EphemeralStore, configured: readonly string[]) {
    this.#known = new Set(configured)
  }

  /** Known on this node without asking the store (keeps the emit path synchronous). */
  knows (name: string): boolean {
    return this.#known.has(name)
  }

  async isRegistered (name: string): Promise<boolean> {
    if (this.#known.has(name)) return true
    if (await this.store.get(KEY + name) === null) return false
    this.#known.add(name)
    return true
  }

  async register (name: string): Promise<void> {
    if (this.#known.has(name)) return
    await this.store.set(KEY + name, '1')
    this.#known.add(name)
  }
}
