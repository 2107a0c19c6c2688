/** One subscription as presence reports it. */
export interface PresenceMember {
  connectionId: string
  /** The user the connection authenticated as (a WebRocket vhost user's name), or null. */
  user: string | null
  /** The node holding the connection. */
  node: string
}

/**
 * Who is subscribed to which channel on every node, and which nodes are alive. Each node writes
 * its own entries and refreshes them with a heartbeat: a node that stops (crashes) loses its
 * entries, and its place among the live nodes, within `ttl`.
 *
 * Writes never wait on the store and never throw: a subscription is not held up by presence. A
 * write the store missed is repaired by the next heartbeat. Reads reject with a SwitchboardError
 * `UNAVAILABLE` while the store cannot answer.
 */
export interface PresenceStore {
  /** This node's id. */
  readonly node: string
  join (protocol: string, channel: string, connectionId: string, user: string | null): void
  leave (protocol: string, channel: string, connectionId: string): void
  /** Every live member of the channel, on every node. */
  members (protocol: string, channel: string): Promise<PresenceMember[]>
  /** The ids of the nodes whose heartbeat is current (this one included once started). */
  nodes (): Promise<string[]>
  /** This node's own entries: channel (`protocol:channel`) by connection id, for the connections API. */
  localChannels (): Map<string, string[]>
  /** Starts the heartbeat (the node counts as alive from now on). */
  start (): Promise<void>
  /** Stops the heartbeat and removes this node's entries (a graceful stop). */
  close (): Promise<void>
}

export interface PresenceTimers {
  /** How long entries and a node's liveness last without a heartbeat. */
  ttl: number
  /** How often a node refreshes them (less than ttl). */
  heartbeat: number
}

/** `protocol:channel`: protocols have no colon, so the first one separates them. */
export const channelKey = (protocol: string, channel: string): string => `${protocol}:${channel}`

/**
 * One node's entries, channel key → connection id → user. Only subscriptions cost anything:
 * a connection without any has no entry.
 */
export class LocalEntries {
  readonly #byChannel = new Map<string, Map<string, string | null>>()

  /** True when the entry is new (or its user changed). */
  add (key: string, connectionId: string, user: string | null): boolean {
    let members = this.#byChannel.get(key)
    if (!members) this.#byChannel.set(key, members = new Map())
    const changed = members.get(connectionId) !== user || !members.has(connectionId)
    members.set(connectionId, user)
    return changed
  }

  /** True when there was such an entry. */
  remove (key: string, connectionId: string): boolean {
    const members = this.#byChannel.get(key)
    if (!members?.delete(connectionId)) return false
    if (members.size === 0) this.#byChannel.delete(key)
    return true
  }

  get (key: string): ReadonlyMap<string, string | null> | undefined {
    return this.#byChannel.get(key)
  }

  channels (): IterableIterator<[string, ReadonlyMap<string, string | null>]> {
    return this.#byChannel.entries()
  }

  /** Connection id → its channel keys (built when asked, so nothing is kept per connection). */
  byConnection (): Map<string, string[]> {
    const out = new Map<string, string[]>()
    for (const [key, members] of this.#byChannel) {
      for (const id of members.keys()) {
        const list = out.get(id)
        if (list) list.push(key)
        else out.set(id, [key])
      }
    }
    return out
  }

  clear (): void {
    this.#byChannel.clear()
  }
}
