import type { Socket as TcpSocket } from 'node:net'
import type { Socket } from 'socket.io'
import type { ConnectionTraffic } from '../../src/core/connection.js'
import type { OutboundPressure } from '../../src/core/limits/outbound-pressure.js'
import { directSocketOf, registerAck } from './engine-adapter.js'
import { eventFrame, eventPacket, framePayloadBytes, type EventTail, type SharedPayload } from './event-encoding.js'
import { checkOutbound } from './outbound-cap.js'

// TCP sockets corked during this tick, each with its node's admission control; one setImmediate
// uncorks them all, so the data events a socket gets in one tick leave in one write (design.md
// §4, as WsConnection's writer).
const corked: TcpSocket[] = []
const corkedPressure: OutboundPressure[] = []
let flushScheduled = false
// Bytes written since the last flush: a tick can hold many publishes (WsConnection, same rule).
let tickBytes = 0

function flushCorked (): void {
  flushScheduled = false
  tickBytes = 0
  // Each node's DAS backlog as this tick's fan-out left it (several apps share this module in
  // tests; one in a server).
  let pressure: OutboundPressure | undefined
  let backlog = 0
  for (let i = 0; i < corked.length; i++) {
    const socket = corked[i]
    socket.uncork()
    if (corkedPressure[i] !== pressure) {
      pressure?.observe(backlog)
      pressure = corkedPressure[i]
      backlog = 0
    }
    backlog += socket.writableLength
  }
  pressure?.observe(backlog)
  corked.length = 0
  corkedPressure.length = 0
}

function corkForTick (socket: TcpSocket, pressure: OutboundPressure): void {
  if (socket.writableCorked > 0) return
  socket.cork()
  corked.push(socket)
  corkedPressure.push(pressure)
  if (!flushScheduled) {
    flushScheduled = true
    setImmediate(flushCorked)
  }
}

/**
 * Writes one socket's data events, whose payload was encoded once per delivery (SharedPayload),
 * in the bytes `socket.emit(event, payload, ack)` would send, without socket.io's per-socket
 * encoding (hasBinary walk, JSON.stringify of the whole payload) nor engine.io's per-packet path:
 * on a WebSocket with nothing queued before it, the whole WebSocket frame goes to the TCP socket,
 * corked for the tick; otherwise (long-polling, engine.io or ws holding packets) the encoded
 * packet goes through engine.io, behind what it holds. The ack is registered as socket.io does,
 * so the client's ACK reaches it through socket.io.
 */
export class EventWriter {
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
    corkForTick(tcp, this.pressure)
    tcp.write(frame)
    this.traffic.sent(framePayloadBytes(frame))
    checkOutbound(conn)
    tickBytes += frame.length
    const { pressure } = this
    if (tickBytes > pressure.limit && pressure.limit > 0) pressure.observe(tickBytes)
  }
}
