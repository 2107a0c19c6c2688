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

/** Every live connection of this node, so shutdown and health can reach them. */
export class ConnectionRegistry {
  readonly #connections = new Map<string, Connection>()
  /** Connections closed because they stopped reading (outbound byte cap reached). */
  slowConsumersClosed = 0

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
