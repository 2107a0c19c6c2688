import type { Socket } from 'node:net'
import type { FastifyBaseLogger } from 'fastify'
import type { WebSocket } from 'ws'
import { ConnectionTraffic, type Connection, type Frame, type Principal } from '../../core/connection.js'
import type { AddressSlot, ConnectionRegistry } from '../../core/connection-registry.js'
import type { OutboundPressure } from '../../core/limits/outbound-pressure.js'
import { takeSlot } from './address-slot.js'
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

/** What every connection of one app shares: one object per app, not fields of every connection. */
export interface SharedSocketContext {
  /** Outbound bytes a connection may have queued before it is closed as a slow consumer. */
  sendBufferLimit: number
  /** How long a closing socket may take before it is destroyed. */
  closeTimeout: number
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

// Every frame of the five protocols is JSON text; Buffers are text frames encoded once for fan-out.
const TEXT = { binary: false } as const
const OPEN = 1

/**
 * The last fan-out payload and its whole WebSocket frame (header and payload, unmasked as a
 * server's frames are): a hub message reaches every local subscriber in one loop, so one entry
 * is enough for every socket after the first to write the same Buffer, built once per message.
 */
let lastPayload: Buffer | undefined
let lastFrame: Buffer | undefined

/**
 * A Buffer holding one final, unmasked text frame (RFC 6455 §5.2) of a `length`-byte payload:
 * its header written, the payload left to fill from the returned offset.
 */
export function allocTextFrame (length: number): { frame: Buffer, offset: number } {
  const headerLength = length < 126 ? 2 : length < 65536 ? 4 : 10
  const frame = Buffer.allocUnsafe(headerLength + length)
  frame[0] = 0x81 // FIN, text
  if (length < 126) {
    frame[1] = length
  } else if (length < 65536) {
    frame[1] = 126
    frame.writeUInt16BE(length, 2)
  } else {
    frame[1] = 127
    frame.writeUInt32BE(Math.floor(length / 2 ** 32), 2)
    frame.writeUInt32BE(length >>> 0, 6)
  }
  return { frame, offset: headerLength }
}

/** `payload` as one final text frame (RFC 6455 §5.2), shared by every socket it is written to. */
export function textFrame (payload: Buffer): Buffer {
  if (payload === lastPayload) return lastFrame!
  const { frame, offset } = allocTextFrame(payload.length)
  payload.copy(frame, offset)
  lastPayload = payload
  lastFrame = frame
  return frame
}

/**
 * A `ws` socket adapted to the core Connection, with the writer rules of design.md §4, and the
 * session its frames go to. Idle connections are what a gateway holds most of (issue 21's memory
 * target): the traffic counters are this object's own fields (it is a ConnectionTraffic) and the
 * session is a field here, not two more objects per connection.
 */
export class WsConnection extends ConnectionTraffic implements Connection, TickCorked {
  principal: Principal | null = null
  readonly #openedAfter = msSinceEpoch()
  /** The protocol session the socket's frames go to, once the plugin has made it. */
  session: SocketSession | null = null
  #corked = false
  #closeTimer: NodeJS.Timeout | undefined
  readonly #socket: Socket | undefined
  /** server.maxConnectionsPerAddress: the slot this connection holds, given back when it closes. */
  #slot: AddressSlot | undefined
  #address: string | undefined

  /**
   * `address` is the client's as a trusted proxy reported it; without one it is the socket's
   * peer. `socket` is the TCP socket `ws` writes to (the upgrade request's `request.socket`).
   */
  constructor (
    readonly id: string,
    readonly protocol: string,
    address: string | undefined,
    private readonly ws: WebSocket,
    socket: Socket | undefined,
    readonly shared: SharedSocketContext,
  ) {
    super()
    this.#socket = socket
    this.#address = address
    this.#slot = takeSlot(socket)
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
    this.#address ??= this.#socket?.remoteAddress
    return this.#address ?? ''
  }

  /** The socket closed (the accepting code listens once for all connection state). */
  socketClosed (): void {
    clearTimeout(this.#closeTimer)
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
    if (!this.#corked && this.#socket) {
      this.#socket.cork()
      this.#corked = true
      uncorkAtTickEnd(this, this.shared.pressure)
    }
    if (typeof frame === 'string') {
      this.ws.send(frame, TEXT)
      // Only replies are strings and pay for measuring one.
      this.sent(Buffer.byteLength(frame))
    } else {
      this.#writeShared(frame)
      this.sent(frame.length)
      countTickBytes(frame.length, this.shared.pressure)
    }
    if (this.ws.bufferedAmount > this.shared.sendBufferLimit) {
      // A consumer that does not read must not make the server buffer without bound.
      this.shared.registry.slowConsumerClosed(this.protocol)
      this.close(1008, 'send buffer limit exceeded')
    }
  }

  /**
   * A fan-out Buffer goes to the TCP socket as one frame built once for all subscribers, rather
   * than through ws's sender, which builds a header and makes two writes per socket. Safe only
   * because the server negotiates no extension (no permessage-deflate: src/app.ts leaves ws's
   * default off), so nothing of ws's can be queued ahead of it: the socket's order is the
   * connection's order. `bufferedAmount` counts these bytes, since ws reads the socket's.
   */
  #writeShared (payload: Buffer): void {
    if (this.#socket) this.#socket.write(textFrame(payload))
    else this.ws.send(payload, TEXT)
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
    this.#socket?.uncork()
  }

  close (code: number, reason = ''): void {
    if (this.ws.readyState > OPEN) return
    this.uncork()
    this.ws.close(code, reason)
    this.#closeTimer = setTimeout(() => this.ws.terminate(), this.shared.closeTimeout)
    this.#closeTimer.unref()
  }
}
