import { ServerResponse, type IncomingMessage } from 'node:http'
import type { Socket as TcpSocket } from 'node:net'
import type { Socket } from 'socket.io'

/**
 * The only file that reads engine.io's private fields (and those of the `ws` socket under its
 * WebSocket transport). engine.io exposes no byte count, no way to drop a connection at once
 * and no polling close timeout; each function below names the field it relies on, and
 * test/plugins/das/engine-adapter.test.ts fails if an engine.io or ws upgrade moves one
 * (request-release.test.ts for the requests engine.io keeps).
 */

/** An Engine.IO connection, as socket.io exposes it (`socket.conn`). */
export type EngineConnection = Socket['conn']

/** A packet as engine.io hands it to its `packetCreate` listeners. */
export interface EnginePacket {
  type: string
  data?: unknown
}

/** The `ws` socket under engine.io's WebSocket transport (`transport.socket`, private). */
interface TransportWebSocket {
  bufferedAmount: number
  readyState: number
  terminate (): void
  /** ws privates: the TCP socket, the negotiated extensions, the sender and its queue. */
  _socket: TcpSocket | null
  _extensions: Record<string, unknown>
  _sender: { _state: number, _queue: unknown[] } | null
}

/** socket.io's ack bookkeeping: `Socket#acks` (private) and `Namespace#_ids` (internal). */
interface AckPrivates {
  acks: Map<number, (...args: unknown[]) => void>
  nsp: { _ids: number }
}

interface Privates {
  /** Packets waiting for the transport to become writable (engine.io `Socket#writeBuffer`). */
  writeBuffer: EnginePacket[]
  transport: {
    name: string
    /** WebSocket transport only. */
    socket?: TransportWebSocket
    /** Polling transport only: how long a close waits for the next poll (hard-coded 30 s). */
    closeTimeout?: number
  }
}

const privates = (conn: EngineConnection) => conn as unknown as Privates

function webSocketOf (conn: EngineConnection): TransportWebSocket | undefined {
  const { transport } = privates(conn)
  return transport.name === 'websocket' ? transport.socket : undefined
}

/** Bytes of one packet as it goes out: its data (text or binary) and the type character. */
export function packetBytes (packet: EnginePacket): number {
  const { data } = packet
  if (typeof data === 'string') return data.length + 1
  // Buffers and the other binary forms engine.io accepts (socket.io attachments).
  if (ArrayBuffer.isView(data) || data instanceof ArrayBuffer) return data.byteLength + 1
  return 1
}

/**
 * Bytes the WebSocket transport handed to `ws` that the kernel has not taken yet
 * (`ws.bufferedAmount`); 0 on long-polling, whose packets wait in engine.io's write buffer.
 */
export function transportBufferedBytes (conn: EngineConnection): number {
  return webSocketOf(conn)?.bufferedAmount ?? 0
}

/** Bytes of the packets waiting in engine.io's write buffer (tests compare the cap's count with it). */
export function writeBufferBytes (conn: EngineConnection): number {
  let bytes = 0
  for (const packet of privates(conn).writeBuffer) bytes += packetBytes(packet)
  return bytes
}

/**
 * Closes the connection now, dropping what it still buffers. engine.io's plain `close()` (what
 * socket.io's `disconnect(true)` calls) waits for packets in the write buffer to drain, which
 * a client that stopped reading never lets happen: the connection would keep its buffers until
 * the heartbeat gave up (pingInterval + pingTimeout, 45 s by default). `close(true)` discards
 * the transport (socket.io then disconnects every namespace socket of the connection); a
 * WebSocket gets `closeTimeout` for its close handshake, as every other socket of the server
 * (WsConnection.close), before it is destroyed — `ws` alone would wait 30 s.
 */
export function dropConnection (conn: EngineConnection, closeTimeout: number): void {
  const ws = webSocketOf(conn)
  conn.close(true)
  if (ws) setTimeout(() => ws.terminate(), closeTimeout).unref()
}

/**
 * Ends the connection so that its client comes back by itself (graceful shutdown): the
 * Engine.IO connection closes without a Socket.IO DISCONNECT packet on any namespace.
 * socket.io-client 2.x and 4.x both take that as `transport close` and reconnect; a
 * DISCONNECT (what `socket.disconnect(true)` sends before closing) is `io server disconnect`,
 * after which neither reconnects. engine.io's plain `close()` sends what is buffered first; a
 * client that has not taken it within `closeTimeout` is dropped as by `dropConnection`.
 */
export function closeTransport (conn: EngineConnection, closeTimeout: number): void {
  const ws = webSocketOf(conn)
  conn.close()
  // The close handshake gets closeTimeout, as every other socket of the server (WsConnection.close).
  setTimeout(() => {
    if (conn.readyState !== 'closed') conn.close(true)
    ws?.terminate()
  }, closeTimeout).unref()
}

/**
 * A closed long-polling transport waits for the client's next poll to hand it the close
 * packet: 30 s hard-coded in engine.io, in a timer that holds the process. Bounded here.
 */
export function boundPollingClose (conn: EngineConnection, closeTimeout: number): void {
  const { transport } = privates(conn)
  if (transport.name === 'polling') transport.closeTimeout = closeTimeout
}

function isEmpty (record: object): boolean {
  for (const key in record) if (Object.hasOwn(record, key)) return false
  return true
}

const WS_OPEN = 1
const WS_SENDER_DEFAULT = 0

/**
 * The TCP socket under a WebSocket-transport connection when a frame written straight to it
 * leaves in the connection's order, else null (send through engine.io): the connection is open,
 * engine.io holds no packet (`writeBuffer` empty: an earlier packet would be overtaken), ws
 * negotiated no extension (a frame of ours must not be compressed or framed otherwise) and its
 * sender queues nothing (`_state` DEFAULT, `_queue` empty: ws writes everything else straight
 * to the same socket, so what it sent before is already ahead of ours in the socket).
 * Long-polling, and a connection still upgrading from it, get null.
 */
export function directSocketOf (conn: EngineConnection): TcpSocket | null {
  if (conn.readyState !== 'open') return null
  const { writeBuffer } = privates(conn)
  if (writeBuffer.length !== 0) return null
  const ws = webSocketOf(conn)
  if (!ws || ws.readyState !== WS_OPEN) return null
  const sender = ws._sender
  if (!sender || sender._state !== WS_SENDER_DEFAULT || sender._queue.length !== 0) return null
  if (!isEmpty(ws._extensions)) return null
  const socket = ws._socket
  return socket && socket.writable ? socket : null
}

/**
 * Registers `ack` for the next ack id of the socket's namespace, as `Socket#emit` does for an
 * emit whose last argument is a function: the client's ACK packet with that id reaches it
 * through socket.io's own `onack`. Returns the id to put in the packet.
 */
export function registerAck (socket: Socket, ack: (...args: unknown[]) => void): number {
  const privates = socket as unknown as AckPrivates
  const id = privates.nsp._ids++
  privates.acks.set(id, ack)
  return id
}

/** socket.io's Client privates the ack fast path uses. */
interface ClientPrivates {
  conn: EngineConnection
  /** Bound in socket.io's Client#setup and listening to the connection's `data`. */
  ondata (data: unknown): void
  nsps: Map<string, Socket>
  /** Set while a binary packet's attachments arrive (then text packets are an error for socket.io to raise). */
  decoder: { reconstructor?: unknown }
}

// `3<nsp>,<id>["<string with nothing to unescape>"]`: an ACK of one plain string — what a data
// event's acknowledgement is (the trace_id). A namespace of one plain segment, so that its name
// is the same whether socket.io reads it as is (EIO=4) or as a URL path (EIO=3).
// JSON strings hold no raw control characters: those are for socket.io to reject.
// eslint-disable-next-line no-control-regex
const PLAIN_ACK = /^3(?:(\/[A-Za-z0-9_-]*),)?(\d+)\["([^"\\\u0000-\u001f]*)"\]$/
const fastAckClients = new WeakSet<object>()

/**
 * Hands the client's acknowledgements of plain strings straight to the registered callback, as
 * socket.io's `Socket#onack` would (`acks.get(id)`, called with the socket as `this`, then
 * deleted). socket.io would first run its general decoder (JSON.parse, validation) and defer
 * each packet to the next tick: with one acknowledgement per data event, the DAS fan-out
 * receives as many packets as it sends. The ack runs synchronously, so it may overtake a packet
 * received just before it whose handling socket.io deferred; acks only clear traces. Anything
 * else (other packets, escapes, binary attachments being reassembled) goes to socket.io as before.
 * Once per Engine.IO connection, whatever namespaces it opens.
 */
export function takeAcks (socket: Socket): void {
  const client = socket.client as unknown as ClientPrivates
  if (fastAckClients.has(client)) return
  fastAckClients.add(client)
  const ondata = client.ondata
  const listener = (data: unknown): void => {
    if (typeof data === 'string' && data.charCodeAt(0) === 0x33 && !client.decoder.reconstructor && plainAck(client, data)) return
    ondata(data)
  }
  client.conn.removeListener('data', ondata)
  client.conn.on('data', listener)
  // socket.io removes its own listener when the client closes; this one goes with it.
  client.conn.once('close', () => client.conn.removeListener('data', listener))
}

function plainAck (client: ClientPrivates, data: string): boolean {
  const match = PLAIN_ACK.exec(data)
  if (match === null) return false
  const socket = client.nsps.get(match[1] ?? '/')
  if (socket === undefined) return false
  const { acks } = socket as unknown as AckPrivates
  const id = Number(match[2])
  const ack = acks.get(id)
  if (typeof ack === 'function') {
    ack.call(socket, match[3])
    acks.delete(id)
  }
  return true
}

/**
 * engine.io's response for a WebSocket upgrade (its private `WebSocketResponse`): the stand-in
 * its middlewares get, holding the upgrade request in `req`. A `close` listener it puts on the
 * TCP socket keeps it, and so the request, for the connection's whole life.
 */
interface UpgradeResponse {
  req: IncomingMessage | null
  socket: unknown
}

const isUpgradeResponse = (res: unknown): res is UpgradeResponse =>
  typeof res === 'object' && res !== null && !(res instanceof ServerResponse) && 'req' in res && 'socket' in res

/**
 * engine.io middleware, to be installed after every other (`io.engine.use`): an upgrade's
 * response lets go of its request once the middlewares have run — what reads `res.req` after
 * them is nothing (engine.io's `verify` and ws take the request itself), and what reads it
 * before them (`res.setHeader`, engine.io's CORS middleware) has run.
 */
export function forgetUpgradeRequest (_req: IncomingMessage, res: unknown, next: (err?: unknown) => void): void {
  if (isUpgradeResponse(res)) res.req = null
  next()
}

/** What socket.io's `Socket#buildHandshake` reads of `conn.request` for a namespace connected later. */
interface HandshakeRequest {
  headers: IncomingMessage['headers']
  url: string | undefined
  /** engine.io's parsed query string (engine.io sets it on the request). */
  _query: Record<string, string>
  connection: { encrypted: boolean }
}

/**
 * Lets go of the HTTP request that opened an Engine.IO connection, which engine.io keeps as
 * `conn.request` for the connection's whole life (socket.io's own memory tip is to set it to
 * null: https://socket.io/docs/v4/memory-usage/). That request is an IncomingMessage with its
 * stream state and a property dictionary, about 2 KiB per idle connection. A namespace the
 * client connects to later still builds its `socket.handshake` from `conn.request` (headers,
 * url, query, whether TLS), so it gets a record of those four instead of null: the headers
 * object is the request's own, so `socket.handshake.headers` is what it always was.
 */
export function releaseRequest (conn: EngineConnection): void {
  const request = conn.request as IncomingMessage & { _query?: Record<string, string> }
  if (request === null || request === undefined) return
  const kept: HandshakeRequest = {
    headers: request.headers,
    url: request.url,
    _query: request._query ?? {},
    connection: { encrypted: (request.socket as { encrypted?: boolean } | null)?.encrypted === true },
  }
  ;(conn as unknown as { request: HandshakeRequest }).request = kept
}
