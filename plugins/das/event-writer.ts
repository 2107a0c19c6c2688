import type { Socket as TcpSocket } from 'node:net'
import type { Socket } from 'socket.io'
import type { ConnectionTraffic } from '../../src/core/connection.js'
import type { OutboundPressure } from '../../src/core/limits/outbound-pressure.js'
import { directSocketOf, registerAck } from './engine-adapter.js'
import { eventFrame, eventPacket, framePayloadBytes, type EventTail, type SharedPayload } from './event-encoding.js'
import { countTickBytes, uncorkAtTickEnd, type TickCorked } from '../../src/http/websocket/tick-cork.js'
import { checkOutbound } from './outbound-cap.js'

/**
 * Writes one socket's data events, whose payload was encoded once per delivery (SharedPayload),
 * in the bytes `socket.emit(event, payload, ack)` would send, without socket.io's per-socket
 * encoding (hasBinary walk, JSON.stringify of the whole payload) nor engine.io's per-packet path:
 * on a WebSocket with nothing queued before it, the whole WebSocket frame goes to the TCP socket,
 * corked for the tick; otherwise (long-polling, engine.io or ws holding packets) the encoded
 * packet goes through engine.io, behind what it holds. The ack is registered as socket.io does,
 * so the client's ACK reaches it through socket.io.
 */
export class EventWriter implements TickCorked {
  /** The TCP socket this writer last corked, and whether it is still corked for this tick. */
  #tcp: TcpSocket | null = null
  #corked = false

  constructor (
    private readonly socket: Socket,
    /** The DAS connection's traffic (index.ts counts engine.io's packets, this the rest). */
    private readonly traffic: ConnectionTraffic,
    /** Admission control (`services.outbound`): it sees the bytes written here. */
    private readonly pressure: OutboundPressure,
  ) {}

  write (event: string, shared: SharedPayload, tail: EventTail, ack?: (...args: unknown[]) => void): void {
    const conn = this.socket.conn
    // As socket.io's Client#_packet: nothing is written to a connection that is not open.
    if (conn.readyState !== 'open') return
    const nsp = this.socket.nsp.name
    const ackId = ack ? registerAck(this.socket, ack) : undefined
    const tcp = directSocketOf(conn)
    if (tcp === null) {
      // Counted and capped at engine.io's packetCreate, as every packet it sends.
      conn.write(eventPacket(nsp, ackId, event, shared, tail))
      return
    }
    const frame = eventFrame(nsp, ackId, event, shared, tail)
    // Corked once per tick, unless something else holds the socket corked and uncorks it.
    if (!this.#corked && tcp.writableCorked === 0) {
      tcp.cork()
      this.#tcp = tcp
      this.#corked = true
      uncorkAtTickEnd(this, this.pressure)
    }
    tcp.write(frame)
    this.traffic.sent(framePayloadBytes(frame))
    checkOutbound(conn)
    countTickBytes(frame.length, this.pressure)
  }

  uncork (): void {
    if (!this.#corked) return
    this.#corked = false
    this.#tcp?.uncork()
  }

  get unreadBytes (): number {
    return this.#tcp?.writableLength ?? 0
  }
}
