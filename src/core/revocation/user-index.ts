import type { Revocable } from './revocable.js'

/**
 * The revocable holders of each user on this node: authenticated connections (keyed by their
 * Connection) and anything a protocol keeps for a user past its connection (keyed by itself).
 * One Map per user with holders, none per holder.
 */
export class UserIndex {
  readonly #byUser = new Map<string, Map<object, Revocable>>()

  bind (username: string, key: object, holder: Revocable): void {
    let holders = this.#byUser.get(username)
    if (!holders) this.#byUser.set(username, holders = new Map())
    holders.set(key, holder)
  }

  unbind (username: string, key: object): void {
    const holders = this.#byUser.get(username)
    if (holders?.delete(key) && holders.size === 0) this.#byUser.delete(username)
  }

  /** The keys bound to `username` (connections and kept holders alike). */
  keysOf (username: string): IterableIterator<object> | [] {
    return this.#byUser.get(username)?.keys() ?? []
  }

  /** The holders of `username`, left in the index (to re-check what they may do, not to revoke them). */
  holdersOf (username: string): Revocable[] {
    const holders = this.#byUser.get(username)
    return holders ? Array.from(holders.values()) : []
  }

  /**
   * The holders of `username` (only those bound with `token` when given), taken out of the index
   * before they are told, so a holder that logs out or closes while being told changes nothing here.
   */
  take (username: string, token?: string): Revocable[] {
    const holders = this.#byUser.get(username)
    if (!holders) return []
    const taken: Revocable[] = []
    for (const [key, holder] of holders) {
      if (token !== undefined && holder.revocationToken !== token) continue
      holders.delete(key)
      taken.push(holder)
    }
    if (holders.size === 0) this.#byUser.delete(username)
    return taken
  }
}
