import type { Connection } from '../connection.js'
import type { ConnectionObserver } from '../connection-registry.js'
import type { PresenceStore } from './presence-store.js'

const userOf = (connection: Connection): string | null => connection.principal?.kind === 'user' ? connection.principal.username : null

/**
 * Feeds the presence store from the connection registry's events. It keeps, per connection
 * with subscriptions only, the channels it holds (one string for the usual single channel, an
 * array past it), so a close removes them without a scan; and the name of a connection that
 * authenticated as no core user (a WebRocket vhost user), which presence reports as its user.
 */
export class PresenceTracker implements ConnectionObserver {
  readonly #channels = new Map<string, string | string[]>()
  readonly #named = new Map<string, string>()

  constructor (private readonly store: PresenceStore) {}

  authenticated (connection: Connection, user: string | null): void {
    if (user !== null && user !== userOf(connection)) this.#named.set(connection.id, user)
    else this.#named.delete(connection.id)
    // Authenticated again as someone else while subscribed: its entries name the new user.
    const held = this.#channels.get(connection.id)
    if (held === undefined) return
    const now = this.userOf(connection)
    if (typeof held === 'string') this.store.join(connection.protocol, held, connection.id, now)
    else for (const channel of held) this.store.join(connection.protocol, channel, connection.id, now)
  }

  subscribed (connection: Connection, channel: string): void {
    // A subscription that completed after its socket went: the close has been handled already.
    if (!connection.open) return
    const held = this.#channels.get(connection.id)
    if (held === undefined) this.#channels.set(connection.id, channel)
    else if (typeof held === 'string') { if (held !== channel) this.#channels.set(connection.id, [held, channel]) } else if (!held.includes(channel)) held.push(channel)
    this.store.join(connection.protocol, channel, connection.id, this.userOf(connection))
  }

  unsubscribed (connection: Connection, channel: string): void {
    const held = this.#channels.get(connection.id)
    if (held === undefined) return
    if (typeof held === 'string') {
      if (held !== channel) return
      this.#channels.delete(connection.id)
    } else {
      const at = held.indexOf(channel)
      if (at < 0) return
      held.splice(at, 1)
      if (held.length === 1) this.#channels.set(connection.id, held[0])
    }
    this.store.leave(connection.protocol, channel, connection.id)
  }

  closed (connection: Connection): void {
    this.#named.delete(connection.id)
    const held = this.#channels.get(connection.id)
    if (held === undefined) return
    this.#channels.delete(connection.id)
    if (typeof held === 'string') this.store.leave(connection.protocol, held, connection.id)
    else for (const channel of held) this.store.leave(connection.protocol, channel, connection.id)
  }

  /** The user presence reports for the connection: its core user, or the name it authenticated with. */
  userOf (connection: Connection): string | null {
    return userOf(connection) ?? this.#named.get(connection.id) ?? null
  }
}
