// A connection-rate reference (issue 21), never judged itself: the plain `ws` baseline's protocol
// (ws-server.ts) behind the stack the design chose for Switchboard's sockets — a Fastify app
// with @fastify/websocket, one route. Its rate against plain `ws`, in the same run, is what that
// stack costs a connection before any protocol does anything: the rest of a protocol's gap is
// its own work (credentials, throttling, sessions).
import websocket from '@fastify/websocket'
import Fastify from 'fastify'
import type { WebSocket } from 'ws'
import type { RunningServer } from './types.js'
import { servePlainClient } from './ws-server.js'

export async function startWsFastifyServer (): Promise<RunningServer> {
  const app = Fastify({ logger: false })
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } })
  const channels = new Map<string, Set<WebSocket>>()
  app.get('/', { websocket: true }, (ws) => servePlainClient(ws, channels, null))
  await app.listen({ host: '127.0.0.1', port: 0 })
  return {
    port: (app.server.address() as { port: number }).port,
    connections: () => app.websocketServer.clients.size,
    close: () => app.close(),
  }
}
