import type { FastifyBaseLogger, FastifyRequest } from 'fastify'
import type { WebSocket } from 'ws'
import { sequentialIds } from '../../core/ids.js'
import type { Services } from '../../core/services.js'
import type { GatewayWebSocket } from './gateway-websocket.js'
import { releaseUpgradeResponse } from './upgrade-response.js'
import { WsConnection, type SharedSocketContext } from './ws-connection.js'

// One context per app, shared by its connections (not fields of every connection).
const sharedOf = new WeakMap<Services, SharedSocketContext>()
function sharedContext (services: Services, log: FastifyBaseLogger): SharedSocketContext {
  let shared = sharedOf.get(services)
  if (!shared) {
    const { sendBufferLimit } = services.config.server
    sharedOf.set(services, shared = { sendBufferLimit, pressure: services.outbound, log, registry: services.connections })
  }
  return shared
}
// Connection ids name a connection in logs and to backends; they are not secrets.
const connectionId = sequentialIds()

/**
 * Wraps a freshly upgraded socket: registers it for shutdown and health, routes its frames to
 * the protocol session as text and keeps socket errors from reaching the process.
 *
 * Idle connections are what a gateway holds most of (design.md §4, issues 8 and 21's memory
 * targets), so a connection costs one object here, the WsConnection: the socket's listeners are
 * shared functions that find it through the socket, not closures per connection. The plugin
 * makes its session and hands it to `attach`.
 */
export function acceptWebSocket (webSocket: WebSocket, request: FastifyRequest, protocol: string, services: Services): WsConnection {
  const { server } = services.config
  // Behind a trusted proxy the address comes from its headers, which are gone once the request
  // is released; otherwise it is the socket's peer, read only if a protocol asks for it.
  const address = server.trustProxy === false ? undefined : request.ip
  // Built by ws's server as its `WebSocket` option (src/app.ts), typed by @fastify/websocket as ws's.
  const socket = webSocket as unknown as GatewayWebSocket
  const connection = new WsConnection(connectionId(), protocol, address, socket, sharedContext(services, request.server.log))
  services.connections.add(connection, { userAgent: request.headers['user-agent'] })
  releaseUpgradeResponse(request)
  socket.connection = connection
  // @fastify/websocket's own error listener closes over the request and reply (kilobytes per
  // idle connection): replaced by one that needs only the shared logger.
  socket.removeAllListeners('error')
  socket.on('error', onSocketError)
  socket.on('message', onSocketMessage)
  socket.on('close', onSocketClose)
  return connection
}

function onSocketMessage (this: GatewayWebSocket, data: Buffer): void {
  const connection = this.connection!
  const session = connection.session
  if (!session) return
  connection.received(data.length)
  const text = data.toString('utf8')
  try {
    const pending = session.receive(text)
    if (pending) pending.catch((err: unknown) => connection.fail(err))
  } catch (err) {
    connection.fail(err)
  }
}

function onSocketClose (this: GatewayWebSocket, code: number, reason: Buffer): void {
  const connection = this.connection!
  connection.socketClosed()
  // The session first, so it can hand its topics over (Telegraphy keeps a dropped session's)
  // before the registry leaves whatever the connection still holds.
  try {
    connection.session?.socketClosed(code)
  } finally {
    connection.shared.registry.remove(connection, { code, reason: reason.toString('utf8') })
  }
}

function onSocketError (this: GatewayWebSocket, err: Error): void {
  const connection = this.connection
  connection?.shared.log.debug({ err: err.message, connection: connection.id }, 'websocket error')
}
