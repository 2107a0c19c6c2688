import type { Socket } from 'node:net'
import type { FastifyBaseLogger } from 'fastify'
import { ConnectionTraffic, type Connection, type Frame, type Principal } from '../../core/connection.js'
import type { AddressSlot, ConnectionRegistry } from '../../core/connection-registry.js'
import type { OutboundPressure } from '../../core/limits/outbound-pressure.js'
import { takeSlot } from './address-slot.js'
import { stringFrame, textFrame } from './frames.js'
import { countTickBytes, uncorkAtTickEnd, type TickCorked } from './tick-cork.js'

/**
 * What an accepted socket hands its frames and its end to: the protocol's session itself, not
 * a closure over it (two closures and their context were ~100 bytes per idle connection).
 */
export interface SocketSession {
  /** Every frame, text or binary, as text (the protocols are JSON; spec §1.2 reads binary as text). */
  receive (text: string): void | Promise<void> | undefined
  /** The socket closed, with the code ws reports. */
  socketClosed (code: number): void
}

/** What a connection asks of its WebSocket (GatewayWebSocket, which ws's server builds). */
export interface ConnectionWebSocket {
  readonly readyState: number
  /** The TCP socket: corked per tick, asked its peer. */
  readonly socket: Socket | null
  readonly bufferedAmount: number
  /** Writes a whole frame (frames.ts), or nothing once the socket is no longer open. */
  writeFrame (frame: Buffer): void
  close (code: number, reason: string): void
  pause (): void
  resume (): void
}

/** What every connection of one app shares: one object per app, not fields of every connection. */
export interface SharedSocketContext {
  /** Outbound bytes a connection may have queued before it is closed as a slow consumer. */
  sendBufferLimit: number
  /** Told, after each flush, the bytes the flushed sockets still hold (the fan-out's admission control). */
  pressure: OutboundPressure
  /** Where a session's failure on a frame is logged. */
  log: FastifyBaseLogger
  /** Told of slow consumers and paused readers; removes the connection when its socket closes. */
  registry: ConnectionRegistry
}

// Connection times are kept as milliseconds since this module loaded: a small integer is stored
// in the connection itself for the first 12 days of a process, where a full timestamp is a
// 16-byte heap number per idle connection (correct either way, only smaller). `| 0` is what makes
// it an integer to V8: a difference of two timestamps is a double even when it is whole.
const EPOCH = Date.now()
function msSinceEpoch (): number {
  const ms = Date.now() - EPOCH
  return ms < 2 ** 30 ? ms | 0 : ms
}

const OPEN = 1

/**
 * An accepted WebSocket adapted to the core Connection, with the writer rules of design.md §4,
 * and the session its frames go to. Idle connections are what a gateway holds most of (issue 21's memory
 * target): the traffic counters are this object's own fields (it is a ConnectionTraffic) and the
 * session is a field here, not two more objects per connection.
 */
export class WsConnection extends ConnectionTraffic implements Connection, TickCorked {
  principal: Principal | null = null
  readonly #openedAfter = msSinceEpoch()
  /** The protocol session the socket's frames go to, once the plugin has made it. */
  session: SocketSession | null = null
  #corked = false
  /** server.maxConnectionsPerAddress: the slot this connection holds, given back when it closes. */
  #slot: AddressSlot | undefined
  #address: string | undefined

  /** `address` is the client's as a trusted proxy reported it; without one it is the socket's peer. */
  constructor (
    readonly id: string,
    readonly protocol: string,
    address: string | undefined,
    private readonly ws: ConnectionWebSocket,
    readonly shared: SharedSocketContext,
  ) {
    super()
    this.#address = address
    this.#slot = takeSlot(ws.socket ?? undefined)
  }

  /** When the connection was accepted (ms since the epoch). */
  get connectedAt (): number {
    return EPOCH + this.#openedAfter
  }

  get traffic (): ConnectionTraffic {
    return this
  }

  /** From now on the socket's frames and its end go to `session`. */
  attach (session: SocketSession): void {
    this.session = session
  }

  /** A session bug must cost at most this connection, never the process. */
  fail (err: unknown): void {
    this.shared.log.error({ err, connection: this.id }, 'session failed on a frame')
    this.close(1011, 'internal error')
  }

  // Read when a protocol asks, not on accept: it is a system call (getpeername) per connection,
  // and most connections never need it (issue 8's connection rate). Node keeps it once read.
  get remoteAddress (): string {
    this.#address ??= this.ws.socket?.remoteAddress
    return this.#address ?? ''
  }

  /** The socket closed (the accepting code listens once for all connection state). */
  socketClosed (): void {
    this.#slot?.release()
    this.#slot = undefined
  }

  get open (): boolean {
    return this.ws.readyState === OPEN
  }

  /** Bytes accepted but not yet handed to the kernel. */
  get bufferedAmount (): number {
    return this.ws.bufferedAmount
  }

  /** What the admission control sums: the bytes the kernel has not taken yet. */
  get unreadBytes (): number {
    return this.ws.bufferedAmount
  }

  send (frame: Frame): void {
    if (this.ws.readyState !== OPEN) return
    if (!this.#corked) {
      this.ws.socket!.cork()
      this.#corked = true
      uncorkAtTickEnd(this, this.shared.pressure)
    }
    if (typeof frame === 'string') {
      // Only replies are strings and pay for measuring one.
      const length = Buffer.byteLength(frame)
      this.ws.writeFrame(stringFrame(frame, length))
      this.sent(length)
    } else {
      // A fan-out Buffer: one frame built once for every subscriber (frames.ts textFrame).
      this.ws.writeFrame(textFrame(frame))
      this.sent(frame.length)
      countTickBytes(frame.length, this.shared.pressure)
    }
    if (this.ws.bufferedAmount > this.shared.sendBufferLimit) {
      // A consumer that does not read must not make the server buffer without bound.
      this.shared.registry.slowConsumerClosed(this.protocol)
      this.close(1008, 'send buffer limit exceeded')
    }
  }

  pauseReading (): void {
    if (this.ws.readyState !== OPEN) return
    this.ws.pause()
    this.shared.registry.readingPaused(this.protocol)
  }

  resumeReading (): void {
    if (this.ws.readyState === OPEN) this.ws.resume()
  }

  uncork (): void {
    if (!this.#corked) return
    this.#corked = false
    this.ws.socket?.uncork()
  }

  close (code: number, reason = ''): void {
    if (this.ws.readyState > OPEN) return
    this.uncork()
    // The socket is destroyed if the peer never answers (server.closeTimeout, ws's server option).
    this.ws.close(code, reason)
  }
}
