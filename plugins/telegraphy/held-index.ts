import type { EphemeralStore } from '../../src/core/state/store.js'
import { heldKey } from './record.js'
import type { StoreFailed } from './store-failed.js'

export interface HeldIndexOptions {
  nodeId: string
  /** Ttl of the index: a live record's (liveness.ts), refreshed every heartbeat while the node lives. */
  ttl: number
  /** False on a single node (in-process store): nobody could read it after this process. */
  shared: boolean
}

/**
 * The sessions this node holds (connected: a live record) or keeps (dropped or adopted: a
 * KeptSession), as a hash in the shared store: the node that takes over from this one once it is
 * dead — a survivor, or this node's own next incarnation after a restart — finds them there
 * (rescue.ts) and keeps their events until their RECONNECT. A session can be both for a moment
 * (its socket drops: kept before its live record goes), so each token is counted here.
 */
export class HeldIndex {
  readonly #counts = new Map<string, number>()
  #frozen = false

  constructor (private readonly store: EphemeralStore, private readonly options: HeldIndexOptions, private readonly storeFailed: StoreFailed) {}

  add (token: string): void {
    const count = this.#counts.get(token) ?? 0
    this.#counts.set(token, count + 1)
    if (count === 0 && this.options.shared) {
      this.store.hashSet(heldKey(this.options.nodeId), token, '1', this.options.ttl).catch(this.#warn)
    }
  }

  remove (token: string): void {
    // Only what was added is removed (a live holder once held, a kept session once released).
    const count = this.#counts.get(token) as number
    if (count > 1) return void this.#counts.set(token, count - 1)
    this.#counts.delete(token)
    if (this.options.shared && !this.#frozen) this.store.hashDelete(heldKey(this.options.nodeId), token).catch(this.#warn)
  }

  /** Every heartbeat: the index outlives this node by a live record's ttl, no more. */
  refresh (): void {
    if (this.options.shared) this.store.touch(heldKey(this.options.nodeId), this.options.ttl).catch(this.#warn)
  }

  /**
   * Stopping: what this node still keeps when it has stopped stays listed for whoever takes over
   * (the sessions it lets go of at shutdown are not removed).
   */
  freeze (): void {
    this.#frozen = true
  }

  /** Stopped with nothing left to take over: the index goes. */
  async clear (): Promise<void> {
    if (this.options.shared) await this.store.delete(heldKey(this.options.nodeId)).catch(this.#warn)
  }

  // Through the store's health: one line per outage, not one per beat (issue 18).
  readonly #warn = (err: Error) => this.storeFailed(err, 'telegraphy: held sessions index not written')
}
