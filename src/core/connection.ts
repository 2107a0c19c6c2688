/**
 * Who is behind a connection once it has authenticated. A user's `roles` and `channels` are the
 * claims of a narrowed access token (`POST /api/auth/tokens`): they only narrow what the user's
 * own roles and the access rules allow (src/core/access/authorizer.ts); without them the user's
 * roles in force apply.
 */
export type Principal =
  | {
    kind: 'user', username: string, admin: boolean, roles?: readonly string[], channels?: readonly string[]
    /**
     * The access token (its `jti`) the connection's credential was obtained with, where a
     * protocol's own credential stands for one (a Telegraphy auth token): revoking that access
     * token ends the connection too.
     */
    tokenId?: string
  }
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
  /** When the connection was accepted (ms since the epoch). */
  readonly connectedAt: number
  /** Set through `ConnectionRegistry.authenticated` / `loggedOut`, which index it by user. */
  principal: Principal | null
  /**
   * Traffic so far, counted by the transport (frames as the protocol sees them, bytes of their
   * payloads): the close log line, the metrics and the connections API read it.
   */
  readonly traffic: ConnectionTraffic
  readonly open: boolean
  /**
   * Bytes sent that the client has not read yet, as far as the transport can tell (a WebSocket's
   * unsent queue); absent where the transport does not say. The fan-out's admission control
   * (core/limits/outbound-pressure.ts) sums it.
   */
  readonly unreadBytes?: number
  send (frame: Frame): void
  close (code: number, reason?: string): void
  /**
   * Stops reading the client's frames until `resumeReading`, so a client that sends faster than
   * its session handles is slowed down by TCP instead of growing a queue in the server.
   */
  pauseReading (): void
  resumeReading (): void
}

/**
 * One connection's traffic. Plain numbers on the connection, bumped where a frame passes: the
 * per-frame cost on the fan-out path is two additions, whoever reads them later.
 */
export class ConnectionTraffic {
  framesIn = 0
  bytesIn = 0
  framesOut = 0
  bytesOut = 0

  received (bytes: number): void {
    this.framesIn++
    this.bytesIn += bytes
  }

  sent (bytes: number): void {
    this.framesOut++
    this.bytesOut += bytes
  }
}

/** How a connection ended: a WebSocket close code, or null where the protocol has none (Socket.IO). */
export interface ConnectionEnd {
  code: number | null
  reason: string
}

/** What the transport knew when it accepted a connection, for the observers' `opened`. */
export interface ConnectionOpening {
  userAgent?: string
}
