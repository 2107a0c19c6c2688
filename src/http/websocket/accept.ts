import type { FastifyRequest } from 'fastify'
import type { WebSocket } from 'ws'
import { randomId } from '../../core/ids.js'
import type { Services } from '../../core/services.js'
import { WsConnection } from './ws-connection.js'

export interface AcceptedSocket {
  connection: WsConnection
  /** Every frame, text or binary, as text (the protocols are JSON; spec §1.2 reads binary as text). */
  onText (handler: (text: string) => void | Promise<void>): void
  onClose (handler: (code: number) => void): void
}

/**
 * Wraps a freshly upgraded socket: registers it for shutdown and health, routes its frames to
 * the protocol session as text and keeps socket errors from reaching the process.
 */
export function acceptWebSocket (socket: WebSocket, request: FastifyRequest, protocol: string, services: Services): AcceptedSocket {
  const { server } = services.config
  const connection = new WsConnection(randomId(12), protocol, request.ip, socket,
    { sendBufferLimit: server.sendBufferLimit, closeTimeout: server.closeTimeout }, services.connections)
  services.connections.add(connection)
  // Nothing kept for the socket's lifetime may hold the upgrade request: @fastify/websocket's own
  // error listener closes over the request and reply (kilobytes per idle connection), so it is
  // replaced by one that needs only the shared logger.
  const log = request.server.log
  socket.removeAllListeners('error')
  socket.on('error', (err) => log.debug({ err: err.message, connection: connection.id }, 'websocket error'))
  socket.once('close', () => services.connections.remove(connection))
  return {
    connection,
    onText (handler) {
      socket.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => {
        const text = Buffer.isBuffer(data) ? data.toString('utf8') : Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data).toString('utf8')
        // A session bug must cost at most this connection, never the process.
        const fail = (err: unknown) => {
          log.error({ err, connection: connection.id }, 'session failed on a frame')
          connection.close(1011, 'internal error')
        }
        try {
          const pending = handler(text)
          if (pending) pending.catch(fail)
        } catch (err) {
          fail(err)
        }
      })
    },
    onClose (handler) {
      socket.once('close', (code: number) => handler(code))
    },
  }
}
