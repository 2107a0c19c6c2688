import type { Socket } from 'node:net'
import type { WebSocket } from 'ws'
import { ConnectionTraffic, type Connection, type Frame, type Principal } from '../../core/connection.js'
import type { AddressSlot, ConnectionRegistry } from '../../core/connection-registry.js'
import { takeSlot } from './address-slot.js'

export interface WriterLimits {
  /** Outbound bytes a connection may have queued before it is closed as a slow consumer. */
  sendBufferLimit: number
  /** How long a closing socket may take before it is destroyed. */
  closeTimeout: number
}

// Every frame of the five protocols is JSON text; Buffers are text frames encoded once for fan-out.
const TEXT = { binary: false } as const
const OPEN = 1

// Connections corked during this tick; one setImmediate uncorks them all, so every frame a
// socket gets in one tick leaves in one write (design.md §4).
const corked: WsConnection[] = []
let flushScheduled = false
function flushCorked (): void {
  flushScheduled = false
  for (let i = 0; i < corked.length; i++) corked[i].uncork()
  corked.length = 0
}

/** A `ws` socket adapted to the core Connection, with the writer rules of design.md §4. */
export class WsConnection implements Connection {
  principal: Principal | null = null
  readonly connectedAt = Date.now()
  readonly traffic = new ConnectionTraffic()
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
    private readonly limits: WriterLimits,
    private readonly registry: ConnectionRegistry,
  ) {
    this.#socket = socket
    this.#address = address
    this.#slot = takeSlot(socket)
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

  send (frame: Frame): void {
    if (this.ws.readyState !== OPEN) return
    if (!this.#corked && this.#socket) {
      this.#socket.cork()
      this.#corked = true
      corked.push(this)
      if (!flushScheduled) {
        flushScheduled = true
        setImmediate(flushCorked)
      }
    }
    this.ws.send(frame, TEXT)
    // Fan-out frames are Buffers (encoded once); only replies pay for measuring a string.
    this.traffic.sent(typeof frame === 'string' ? Buffer.byteLength(frame) : frame.length)
    if (this.ws.bufferedAmount > this.limits.sendBufferLimit) {
      // A consumer that does not read must not make the server buffer without bound.
      this.registry.slowConsumerClosed(this.protocol)
      this.close(1008, 'send buffer limit exceeded')
    }
  }

  pauseReading (): void {
    if (this.ws.readyState !== OPEN) return
    this.ws.pause()
    this.registry.readingPaused(this.protocol)
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
    this.#closeTimer = setTimeout(() => this.ws.terminate(), this.limits.closeTimeout)
    this.#closeTimer.unref()
  }
}
