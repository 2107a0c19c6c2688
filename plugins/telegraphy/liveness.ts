import type { EphemeralStore } from '../../src/core/state/store.js'
import type { HeldIndex } from './held-index.js'
import { liveKey, nodeKey, type SessionHead } from './record.js'
import { subscriptionsKey } from './stored-subscriptions.js'
import type { StoreFailed } from './store-failed.js'

/** A node that has not beaten for this many heartbeats is dead. */
export const STALE_BEATS = 3
/** A live record is refreshed once every this many heartbeats (one wheel turn). */
const REFRESH_BEATS = 60

/** A connected session whose record is kept in the store while it is connected. */
export interface LiveHolder {
  readonly token: string
  liveHead (): SessionHead
  /** Slot of the refresh wheel this holder is in; -1 when none. Owned by Liveness. */
  liveSlot: number
}

export interface LivenessOptions {
  nodeId: string
  heartbeat: number
  reconnectWindow: number
  /** False on a single node (in-process store): nobody else could read what would be written. */
  shared: boolean
  /** Where the connected sessions are listed for whoever takes over if this node dies. */
  held: HeldIndex
}

/** A live record outlives a missed refresh, the time to notice a death, and the reconnect window. */
export function liveRecordTtl (heartbeat: number, reconnectWindow: number): number {
  return (2 * REFRESH_BEATS + STALE_BEATS) * heartbeat + reconnectWindow
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * What lets a RECONNECT on a survivor resume a session whose node died while it was connected
 * (§3.4 "any node"; README "Sessions and RECONNECT"):
 *
 * - a heartbeat `nodeKey(nodeId)` = time of the last beat, written every `heartbeat`, ttl three
 *   beats: a node is dead when its key is gone or does not change for three beats. Deciding by
 *   change, not by comparing the beat with this node's clock, needs no clock agreement.
 * - a live record `liveKey(token)` per connected session, written at CONNECT, at a successful
 *   RECONNECT, deleted when the session drops or ends; its subscriptions hash (written by the
 *   session, one field per SUBSCRIBE: stored-subscriptions.ts) has the same ttl. A
 *   crashed node's records must expire, yet a node may hold 15,000 sessions: each record has a
 *   long ttl refreshed once per wheel turn (60 heartbeats), the sessions spread over the wheel's
 *   slots at random, so a beat refreshes a sixtieth of them, not all.
 */
export class Liveness {
  readonly #wheel: Set<LiveHolder>[] = Array.from({ length: REFRESH_BEATS }, () => new Set())
  #cursor = 0
  #lastBeat = 0
  #timer: NodeJS.Timeout | undefined
  /** A record outlives a missed refresh, the time to notice a death, and the reconnect window. */
  readonly #recordTtl: number

  constructor (private readonly store: EphemeralStore, private readonly options: LivenessOptions, private readonly storeFailed: StoreFailed) {
    this.#recordTtl = liveRecordTtl(options.heartbeat, options.reconnectWindow)
  }

  async start (): Promise<void> {
    if (!this.options.shared) return
    await this.#beat().catch(this.#warn)
    this.#timer = setInterval(() => this.#tick(), this.options.heartbeat)
    this.#timer.unref()
  }

  /** Graceful stop: the beat goes at once, so nobody waits on this node any more. */
  async stop (): Promise<void> {
    clearInterval(this.#timer)
    if (this.options.shared) await this.store.delete(nodeKey(this.options.nodeId)).catch(this.#warn)
  }

  /**
   * The ttl a connected session's subscriptions hash is written with: the live record's. Only
   * with a shared store is it written while the session is connected (session.ts).
   */
  get subscriptionsTtl (): number {
    return this.#recordTtl
  }

  /** Writes (or rewrites) the live record of `holder` and keeps it refreshed. */
  async hold (holder: LiveHolder): Promise<void> {
    if (!this.options.shared) {
      // A single node keeps no hash for a connected session (it writes one when the session
      // drops, session.ts): a resumed session's goes, the session holds its subscriptions again.
      await this.store.delete(subscriptionsKey(holder.token)).catch(this.#warn)
      return
    }
    if (holder.liveSlot < 0) {
      holder.liveSlot = Math.floor(Math.random() * REFRESH_BEATS)
      this.#wheel[holder.liveSlot].add(holder)
      this.options.held.add(holder.token)
    }
    await this.#write(holder)
  }

  /** The session is no longer connected here: no more refreshes, and its live record goes. */
  async release (holder: LiveHolder): Promise<void> {
    if (holder.liveSlot < 0) return
    this.#wheel[holder.liveSlot].delete(holder)
    holder.liveSlot = -1
    this.options.held.remove(holder.token)
    await this.store.delete(liveKey(holder.token)).catch(this.#warn)
  }

  /** True unless the node's heartbeat is gone (stopped, or dead for three beats). No waiting. */
  async beating (nodeId: string): Promise<boolean> {
    if (nodeId === this.options.nodeId) return true
    if (!this.options.shared) return false
    return await this.store.get(nodeKey(nodeId)) !== null
  }

  /**
   * True when the node is alive: its beat changes within three heartbeats. A node killed a moment
   * ago still has a recent beat, so this waits (at most three heartbeats) to see it change.
   */
  async alive (nodeId: string): Promise<boolean> {
    if (nodeId === this.options.nodeId) return true
    if (!this.options.shared) return false
    const first = await this.store.get(nodeKey(nodeId))
    const deadline = Date.now() + STALE_BEATS * this.options.heartbeat
    let beat = first
    while (beat === first && beat !== null && Date.now() < deadline) {
      await sleep(this.options.heartbeat / 2)
      beat = await this.store.get(nodeKey(nodeId))
    }
    return beat !== null && beat !== first
  }

  #tick (): void {
    this.#beat().catch(this.#warn)
    this.options.held.refresh()
    this.#cursor = (this.#cursor + 1) % REFRESH_BEATS
    for (const holder of this.#wheel[this.#cursor]) {
      // touch, not set: a refresh racing with the delete of a dropped session must not bring the
      // record back. A record that is gone while the session is connected (the store lost it)
      // is written again.
      this.store.touch(liveKey(holder.token), this.#recordTtl).then(
        (present) => present || holder.liveSlot < 0 ? undefined : this.#write(holder),
        this.#warn)
      this.store.touch(subscriptionsKey(holder.token), this.#recordTtl).catch(this.#warn)
    }
  }

  async #beat (): Promise<void> {
    // Strictly increasing, so that every beat changes the value even within one millisecond.
    this.#lastBeat = Math.max(Date.now(), this.#lastBeat + 1)
    await this.store.set(nodeKey(this.options.nodeId), String(this.#lastBeat), STALE_BEATS * this.options.heartbeat)
  }

  async #write (holder: LiveHolder): Promise<void> {
    const { token } = holder
    await Promise.all([
      this.store.set(liveKey(token), JSON.stringify(holder.liveHead()), this.#recordTtl).catch(this.#warn),
      this.store.touch(subscriptionsKey(token), this.#recordTtl).catch(this.#warn),
    ])
  }

  // Through the store's health: one line per outage, not one per beat (issue 18).
  readonly #warn = (err: Error) => this.storeFailed(err, 'telegraphy: liveness not written')
}
