import type { FastifyBaseLogger, FastifyRequest } from 'fastify'
import type { WebSocket } from 'ws'
import type { ConnectionRegistry } from '../../core/connection-registry.js'
import { sequentialIds } from '../../core/ids.js'
import type { Services } from '../../core/services.js'
import { releaseUpgradeResponse } from './upgrade-response.js'
import { WsConnection, type WriterLimits } from './ws-connection.js'

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

export interface AcceptedSocket {
  connection: WsConnection
  attach (session: SocketSession): void
}

const ACCEPTED = Symbol('switchboard.accepted')
// One limits object per app, shared by its connections (not an object per connection).
const limitsOf = new WeakMap<Services, WriterLimits>()
function writerLimits (services: Services): WriterLimits {
  let limits = limitsOf.get(services)
  if (!limits) {
    const { sendBufferLimit, closeTimeout } = services.config.server
    limitsOf.set(services, limits = { sendBufferLimit, closeTimeout, pressure: services.outbound })
  }
  return limits
}
// Connection ids name a connection in logs and to backends; they are not secrets.
const connectionId = sequentialIds()
type AcceptingSocket = WebSocket & { [ACCEPTED]?: Accepted }

/**
 * Wraps a freshly upgraded socket: registers it for shutdown and health, routes its frames to
 * the protocol session as text and keeps socket errors from reaching the process.
 *
 * Idle connections are what a gateway holds most of (design.md §4, issue 8's memory target), so a
 * connection costs one small object here: the socket's listeners are shared functions that find
 * it through the socket, not closures per connection.
 */
export function acceptWebSocket (socket: WebSocket, request: FastifyRequest, protocol: string, services: Services): AcceptedSocket {
  const { server } = services.config
  // Behind a trusted proxy the address comes from its headers, which are gone once the request
  // is released; otherwise it is the socket's peer, read only if a protocol asks for it.
  const address = server.trustProxy === false ? undefined : request.ip
  // The TCP socket under `ws` (the upgrade's, which ws took over): corked per tick, asked its peer.
  const connection = new WsConnection(connectionId(), protocol, address, socket, request.raw.socket, writerLimits(services), services.connections)
  services.connections.add(connection, { userAgent: request.headers['user-agent'] })
  releaseUpgradeResponse(request)
  const accepted = new Accepted(connection, services.connections, request.server.log)
  ;(socket as AcceptingSocket)[ACCEPTED] = accepted
  // @fastify/websocket's own error listener closes over the request and reply (kilobytes per
  // idle connection): replaced by one that needs only the shared logger.
  socket.removeAllListeners('error')
  socket.on('error', onSocketError)
  socket.on('message', onSocketMessage)
  socket.on('close', onSocketClose)
  return accepted
}

class Accepted implements AcceptedSocket {
  session: SocketSession | null = null

  constructor (
    readonly connection: WsConnection,
    readonly registry: ConnectionRegistry,
    readonly log: FastifyBaseLogger,
  ) {}

  attach (session: SocketSession): void {
    this.session = session
  }

  /** A session bug must cost at most this connection, never the process. */
  fail (err: unknown): void {
    this.log.error({ err, connection: this.connection.id }, 'session failed on a frame')
    this.connection.close(1011, 'internal error')
  }
}

function onSocketMessage (this: AcceptingSocket, data: Buffer | ArrayBuffer | Buffer[]): void {
  const accepted = this[ACCEPTED]!
  const session = accepted.session
  if (!session) return
  const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data)
  accepted.connection.traffic.received(bytes.length)
  const text = bytes.toString('utf8')
  try {
    const pending = session.receive(text)
    if (pending) pending.catch((err: unknown) => accepted.fail(err))
  } catch (err) {
    accepted.fail(err)
  }
}

function onSocketClose (this: AcceptingSocket, code: number, reason: Buffer): void {
  const accepted = this[ACCEPTED]!
  accepted.connection.socketClosed()
  // The session first, so it can hand its topics over (Telegraphy keeps a dropped session's)
  // before the registry leaves whatever the connection still holds.
  try {
    accepted.session?.socketClosed(code)
  } finally {
    accepted.registry.remove(accepted.connection, { code, reason: reason.toString('utf8') })
  }
}

function onSocketError (this: AcceptingSocket, err: Error): void {
  const accepted = this[ACCEPTED]
  accepted?.log.debug({ err: err.message, connection: accepted.connection.id }, 'websocket error')
}
