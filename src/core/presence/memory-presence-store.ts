import { channelKey, LocalEntries, type PresenceMember, type PresenceStore, type PresenceTimers } from './presence-store.js'

interface NodeState {
  expiresAt: number
  entries: LocalEntries
}

/**
 * What the nodes of one process share: a single node normally; the contract suite puts several
 * stores in one space to stand for several nodes.
 */
export class MemoryPresenceSpace {
  readonly nodes = new Map<string, NodeState>()
}

/** Presence of one process: entries in memory, nodes alive while their heartbeat runs. */
export class MemoryPresenceStore implements PresenceStore {
  readonly #entries = new LocalEntries()
  readonly #space: MemoryPresenceSpace
  #timer: NodeJS.Timeout | undefined

  constructor (readonly node: string, private readonly timers: PresenceTimers, space = new MemoryPresenceSpace()) {
    this.#space = space
  }

  join (protocol: string, channel: string, connectionId: string, user: string | null): void {
    this.#entries.add(channelKey(protocol, channel), connectionId, user)
  }

  leave (protocol: string, channel: string, connectionId: string): void {
    this.#entries.remove(channelKey(protocol, channel), connectionId)
  }

  async members (protocol: string, channel: string): Promise<PresenceMember[]> {
    const key = channelKey(protocol, channel)
    const out: PresenceMember[] = []
    for (const [node, state] of this.#live()) {
      for (const [connectionId, user] of state.entries.get(key) ?? []) out.push({ connectionId, user, node })
    }
    return out
  }

  async nodes (): Promise<string[]> {
    return Array.from(this.#live(), ([node]) => node)
  }

  localChannels (): Map<string, string[]> {
    return this.#entries.byConnection()
  }

  async start (): Promise<void> {
    this.#beat()
    this.#timer = setInterval(() => this.#beat(), this.timers.heartbeat)
    this.#timer.unref()
  }

  async close (): Promise<void> {
    clearInterval(this.#timer)
    if (this.#space.nodes.get(this.node)?.entries === this.#entries) this.#space.nodes.delete(this.node)
    this.#entries.clear()
  }

  #beat (): void {
    this.#space.nodes.set(this.node, { expiresAt: Date.now() + this.timers.ttl, entries: this.#entries })
  }

  * #live (): IterableIterator<[string, NodeState]> {
    const now = Date.now()
    for (const [node, state] of this.#space.nodes) {
      if (state.expiresAt > now) yield [node, state]
      else this.#space.nodes.delete(node)
    }
  }
}
