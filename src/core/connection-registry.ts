import type { Connection, ConnectionEnd, ConnectionOpening, Principal } from './connection.js'
import type { ConnectionTopics } from './hub/connection-topics.js'
import { closeCodeLabel, NodeFigures } from './metrics/protocol-figures.js'
import type { Revocable, RevocationCause } from './revocation/revocable.js'
import { UserIndex } from './revocation/user-index.js'

/** One address's claim on a connection slot; `release` gives it back, once however often called. */
export class AddressSlot {
  #held = true

  constructor (readonly address: string, private readonly giveBack: (address: string) => void) {}

  release (): void {
    if (!this.#held) return
    this.#held = false
    this.giveBack(this.address)
  }
}

/** What `admit` hands out when nothing is counted (no per-address limit): nothing to give back. */
const UNCOUNTED = new AddressSlot('', () => {})

/** One connection as a connections API lists it. */
export interface ConnectionInfo {
  id: string
  protocol: string
  /** The username, or null for an anonymous or unauthenticated connection. */
  user: string | null
  address: string
  /** ms since the epoch. */
  connectedSince: number
}

/**
 * Told of every connection's life on this node (logs, metrics, presence). Called synchronously
 * where the event happens, so an observer must be cheap and must not throw (a throw is caught and
 * reported through the registry's `onError`, never reaching the transport).
 */
export interface ConnectionObserver {
  opened? (connection: Connection, opening: ConnectionOpening): void
  /**
   * The connection authenticated (first time, or as another user): `user` is the core user's
   * name (null for an anonymous principal), or the protocol's own name (`identified`).
   */
  authenticated? (connection: Connection, user: string | null): void
  closed? (connection: Connection, end: ConnectionEnd): void
  /** The connection's session subscribed to `channel` (the protocol's own channel name, see presence). */
  subscribed? (connection: Connection, channel: string): void
  /** The subscription ended (unsubscribe, or the session dropped it); not called for a close: `closed` covers it. */
  unsubscribed? (connection: Connection, channel: string): void
}

export interface ConnectionRegistryOptions {
  /** Each connection's hub topics: a removed connection leaves them all. */
  topics: ConnectionTopics
  /** Slots `admit` gives one client address (server.maxConnectionsPerAddress); 0 = no limit. */
  maxPerAddress?: number
  /** A holder's revocation policy threw (the others are still told). */
  onError?: (err: unknown) => void
}

const usernameOf = (principal: Principal | null): string | null => principal?.kind === 'user' ? principal.username : null

/**
 * Every live connection of this node, and its authenticated ones by user: the one place that
 * counts and lists connections, disconnects a user's connections (each by its protocol's own
 * revocation policy) and, when a connection ends, forgets it and leaves its hub topics.
 */
export class ConnectionRegistry {
  readonly #connections = new Map<string, Connection>()
  readonly #observers: ConnectionObserver[] = []
  readonly #users = new UserIndex()
  readonly #perAddress = new Map<string, number>()
  readonly #giveBack = (address: string) => {
    const held = this.#perAddress.get(address) ?? 0
    if (held <= 1) this.#perAddress.delete(address)
    else this.#perAddress.set(address, held - 1)
  }

  readonly topics: ConnectionTopics
  readonly maxPerAddress: number
  readonly #onError: (err: unknown) => void

  /** Per-protocol counters of this node's connections (opened, closed, traffic of the closed ones). */
  readonly figures = new NodeFigures()

  constructor ({ topics, maxPerAddress = 0, onError = () => {} }: ConnectionRegistryOptions) {
    this.topics = topics
    this.maxPerAddress = maxPerAddress
    this.#onError = onError
  }

  /**
   * Takes a connection slot for `address` before its upgrade, or null when the address holds
   * them all. Taken before the handshake, so a burst of upgrades cannot overshoot; the transport
   * releases it when the connection (or its failed handshake) ends.
   */
  admit (address: string): AddressSlot | null {
    if (this.maxPerAddress === 0) return UNCOUNTED
    const held = this.#perAddress.get(address) ?? 0
    if (held >= this.maxPerAddress) return null
    this.#perAddress.set(address, held + 1)
    return new AddressSlot(address, this.#giveBack)
  }

  /** Slots `address` holds now. */
  heldBy (address: string): number {
    return this.#perAddress.get(address) ?? 0
  }

  /** Adds an observer of every connection opened, authenticated and closed from now on. */
  observe (observer: ConnectionObserver): void {
    this.#observers.push(observer)
  }

  add (connection: Connection, opening: ConnectionOpening = {}): void {
    this.#connections.set(connection.id, connection)
    this.figures.of(connection.protocol).opened++
    for (const o of this.#observers) if (o.opened) this.#safely(() => o.opened!(connection, opening))
  }

  /** The connection ended: it is forgotten, unindexed and leaves every hub topic (never throws). */
  remove (connection: Connection, end: ConnectionEnd = { code: null, reason: '' }): void {
    const known = this.#connections.get(connection.id) === connection
    if (known) {
      this.#connections.delete(connection.id)
      this.#count(connection, end)
    }
    const username = usernameOf(connection.principal)
    if (username !== null) this.#users.unbind(username, connection)
    this.topics.leaveAll(connection)
    // Once per connection, however often a transport reports its end.
    if (known) for (const o of this.#observers) if (o.closed) this.#safely(() => o.closed!(connection, end))
  }

  /**
   * The connection's session learned who is behind it. A user's connection is indexed with
   * `revocable`, its protocol's answer to a revocation; an anonymous one is not revocable.
   * Authenticating again (as another user) moves it.
   */
  authenticated (connection: Connection, principal: Principal, revocable: Revocable): void {
    const before = usernameOf(connection.principal)
    if (before !== null) this.#users.unbind(before, connection)
    connection.principal = principal
    const username = usernameOf(principal)
    // A connection that already ended is not indexed: nothing would unindex it.
    if (username !== null && this.#connections.get(connection.id) === connection) this.#users.bind(username, connection, revocable)
    this.#tellAuthenticated(connection, username)
  }

  /**
   * The connection's session authenticated a name of its protocol's own that is no core user (a
   * WebRocket vhost user): observers hear it, but the principal stays unset and nothing is
   * indexed, since a core user's revocation or roles must not reach a vhost user of that name.
   */
  identified (connection: Connection, name: string): void {
    this.#tellAuthenticated(connection, name)
  }

  #tellAuthenticated (connection: Connection, user: string | null): void {
    for (const o of this.#observers) if (o.authenticated) this.#safely(() => o.authenticated!(connection, user))
  }

  /** A protocol accepted a subscription of the connection to `channel`: observers hear it. */
  subscribed (connection: Connection, channel: string): void {
    for (const o of this.#observers) if (o.subscribed) this.#safely(() => o.subscribed!(connection, channel))
  }

  /** A subscription of the connection ended while it stays open. */
  unsubscribed (connection: Connection, channel: string): void {
    for (const o of this.#observers) if (o.unsubscribed) this.#safely(() => o.unsubscribed!(connection, channel))
  }

  /** The connection's session logged out: no principal, no longer reached by revocations. */
  loggedOut (connection: Connection): void {
    const username = usernameOf(connection.principal)
    if (username !== null) this.#users.unbind(username, connection)
    connection.principal = null
  }

  /**
   * Something a protocol keeps for `username` past its connection (Telegraphy's dropped sessions,
   * kept for a RECONNECT): revoked with the user's connections until `released`.
   */
  keepForUser (username: string, holder: Revocable): void {
    this.#users.bind(username, holder, holder)
  }

  releaseForUser (username: string, holder: Revocable): void {
    this.#users.unbind(username, holder)
  }

  /** Applies every holder's revocation policy for `username` on this node; how many were told. */
  revokeUser (username: string, cause: RevocationCause): number {
    return this.#tell(this.#users.take(username), cause)
  }

  /** Same for the holders of `username` that authenticated with `token` (see Revocable.revocationToken). */
  revokeToken (username: string, token: string): number {
    return this.#tell(this.#users.take(username, token), 'token-revoked')
  }

  /**
   * The user's holders on this node (protocol sessions, kept sessions), as they were indexed
   * with `authenticated` / `keepForUser`: after the user's roles changed (access.onRolesChanged) a
   * protocol finds its sessions of the user here, without an index of its own.
   */
  holdersOf (username: string): Revocable[] {
    return this.#users.holdersOf(username)
  }

  /** The user's live connections on this node. */
  ofUser (username: string): Connection[] {
    const out: Connection[] = []
    for (const key of this.#users.keysOf(username)) {
      const connection = this.#connections.get((key as Connection).id)
      if (connection === key) out.push(connection)
    }
    return out
  }

  /** A connection was closed for not reading (outbound byte cap reached). */
  slowConsumerClosed (protocol: string): void {
    this.figures.of(protocol).slowConsumersClosed++
  }

  /** Connections closed as slow consumers so far, every protocol. */
  get slowConsumersClosed (): number {
    let total = 0
    for (const [, figures] of this.figures.entries()) total += figures.slowConsumersClosed
    return total
  }

  /** A connection stopped being read: its inbound queue is full (core/inbound-frames.ts). */
  readingPaused (protocol: string): void {
    this.figures.of(protocol).inboundPaused++
  }

  /** Every live connection of this node (for figures read at scrape time). */
  live (): IterableIterator<Connection> {
    return this.#connections.values()
  }

  get size (): number {
    return this.#connections.size
  }

  countByProtocol (): Record<string, number> {
    const counts: Record<string, number> = {}
    for (const c of this.#connections.values()) counts[c.protocol] = (counts[c.protocol] ?? 0) + 1
    return counts
  }

  /** Every connection of this node, for a connections API (a snapshot, oldest first). */
  list (): ConnectionInfo[] {
    const out: ConnectionInfo[] = []
    for (const c of this.#connections.values()) {
      out.push({ id: c.id, protocol: c.protocol, user: usernameOf(c.principal), address: c.remoteAddress, connectedSince: c.connectedAt })
    }
    return out
  }

  closeAll (code: number, reason: string): void {
    for (const c of this.#connections.values()) c.close(code, reason)
  }

  /** A closed connection's traffic moves into its protocol's totals (the live ones are summed when read). */
  #count (connection: Connection, end: ConnectionEnd): void {
    const figures = this.figures.of(connection.protocol)
    const code = closeCodeLabel(end.code)
    figures.closed.set(code, (figures.closed.get(code) ?? 0) + 1)
    const { traffic } = connection
    figures.framesIn += traffic.framesIn
    figures.bytesIn += traffic.bytesIn
    figures.framesOut += traffic.framesOut
    figures.bytesOut += traffic.bytesOut
  }

  #safely (call: () => void): void {
    try {
      call()
    } catch (err) {
      this.#onError(err)
    }
  }

  #tell (holders: Revocable[], cause: RevocationCause): number {
    for (const holder of holders) {
      try {
        holder.revoked(cause)
      } catch (err) {
        // One protocol's bug must not keep the revocation from the user's other connections.
        this.#onError(err)
      }
    }
    return holders.length
  }
}
