/** Who is behind a connection once it has authenticated. */
export type Principal =
  | { kind: 'user', username: string, admin: boolean }
  | { kind: 'anonymous', id: string }

/** A frame as it leaves: text frames are strings, binary frames Buffers. */
export type Frame = string | Buffer

/**
 * What every protocol session talks to, whatever the transport. `send` goes through the
 * connection's writer (coalescing, byte cap); it never throws, a dead socket just drops frames.
 */
export interface Connection {
  readonly id: string
  readonly protocol: string
  /**
   * The client's address: what a trusted proxy reported, else the socket's peer. Read it while
   * the connection is open; once the socket is gone it may be empty.
   */
  readonly remoteAddress: string
  principal: Principal | null
  readonly open: boolean
  send (frame: Frame): void
  close (code: number, reason?: string): void
  /**
   * Stops reading the client's frames until `resumeReading`, so a client that sends faster than
   * its session handles is slowed down by TCP instead of growing a queue in the server.
   */
  pauseReading (): void
  resumeReading (): void
}

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

/** Every live connection of this node, so shutdown and health can reach them. */
export class ConnectionRegistry {
  readonly #connections = new Map<string, Connection>()
  readonly #perAddress = new Map<string, number>()
  readonly #giveBack = (address: string) => {
    const held = this.#perAddress.get(address) ?? 0
    if (held <= 1) this.#perAddress.delete(address)
    else this.#perAddress.set(address, held - 1)
  }

  /** Connections closed because they stopped reading (outbound byte cap reached). */
  slowConsumersClosed = 0

  /** `maxPerAddress`: slots `admit` gives one client address (server.maxConnectionsPerAddress); 0 = no limit. */
  constructor (readonly maxPerAddress = 0) {}

  /**
   * Takes a connection slot for `address` before its upgrade, or null when the address holds
   * them all. Taken before the handshake, so a burst of upgrades cannot overshoot; the transport
   * releases it when the connection (or its failed handshake) ends.
   */
  admit (address: string): AddressSlot | null {
    const held = this.#perAddress.get(address) ?? 0
    if (this.maxPerAddress > 0 && held >= this.maxPerAddress) return null
    this.#perAddress.set(address, held + 1)
    return new AddressSlot(address, this.#giveBack)
  }

  /** Slots `address` holds now. */
  heldBy (address: string): number {
    return this.#perAddress.get(address) ?? 0
  }

  add (connection: Connection): void {
    this.#connections.set(connection.id, connection)
  }

  remove (connection: Connection): void {
    this.#connections.delete(connection.id)
  }

  get size (): number {
    return this.#connections.size
  }

  countByProtocol (): Record<string, number> {
    const counts: Record<string, number> = {}
    for (const c of this.#connections.values()) counts[c.protocol] = (counts[c.protocol] ?? 0) + 1
    return counts
  }

  closeAll (code: number, reason: string): void {
    for (const c of this.#connections.values()) c.close(code, reason)
  }
}
