import { dropConnection, packetBytes, transportBufferedBytes, type EngineConnection, type EnginePacket } from './engine-adapter.js'

export interface OutboundCapOptions {
  /** `server.sendBufferLimit`: bytes a connection may hold waiting for its client. */
  limit: number
  /** `server.closeTimeout`: the close handshake a dropped WebSocket gets. */
  closeTimeout: number
  /** The connection was dropped for going past the limit (counted as a slow consumer). */
  onBreach (conn: EngineConnection): void
}

const caps = new WeakMap<EngineConnection, () => void>()

/**
 * The outbound byte cap of one Engine.IO connection (design.md §4), at the one place every
 * packet engine.io sends passes: its `packetCreate`. Replies (`echo_resp`, filter responses,
 * `resp_authorization`), `connect_ack`, data events and acks, socket.io's own CONNECT and
 * CONNECT_ERROR packets and Engine.IO v3 pongs all count, on every namespace, whoever emits
 * them; a client that sends requests and never reads their answers is dropped like one that
 * stopped reading data events. Data events written past engine.io (event-writer.ts) are
 * checked by `checkOutbound` after each write.
 *
 * What waits on the connection: the packets engine.io holds until its transport is writable
 * (a long-polling client that stopped polling, a WebSocket still writing the previous batch),
 * counted here from `packetCreate` to `flush` (public events, so no walk over the buffer per
 * packet), plus what the WebSocket transport's TCP socket has not handed to the kernel.
 */
export function capOutbound (conn: EngineConnection, options: OutboundCapOptions): void {
  let queued = 0
  let dropped = false
  const check = (): void => {
    if (dropped || queued + transportBufferedBytes(conn) <= options.limit) return
    // Checked with the last packet counted, as WsConnection.send does after ws.send: past the
    // limit nothing more is queued; engine.io drops the packets sent on a closed connection.
    dropped = true
    options.onBreach(conn)
    dropConnection(conn, options.closeTimeout)
  }
  caps.set(conn, check)
  conn.on('flush', () => { queued = 0 })
  conn.on('packetCreate', (packet: EnginePacket) => {
    queued += packetBytes(packet)
    check()
  })
}

/** Checks the cap after bytes were written to the connection's TCP socket past engine.io. */
export function checkOutbound (conn: EngineConnection): void {
  caps.get(conn)?.()
}
