// Baseline 2: socket.io 4 the idiomatic way — credentials in the handshake (`auth`), a
// `subscribe` event joining a room, and a publish that is one room broadcast.
import { createServer } from 'node:http'
import { Server } from 'socket.io'
import { CREDENTIALS } from '../lib/wire.js'
import type { RunningServer } from './types.js'

export async function startSocketioServer (): Promise<RunningServer> {
  const http = createServer()
  const io = new Server(http, { transports: ['websocket'], serveClient: false, maxHttpBufferSize: 64 * 1024 })
  io.use((socket, next) => {
    const auth = socket.handshake.auth as { user?: unknown, secret?: unknown }
    if (auth.user === CREDENTIALS.user && auth.secret === CREDENTIALS.secret) next()
    else next(new Error('credentials'))
  })
  io.on('connection', (socket) => {
    socket.on('subscribe', (channel: unknown, ack?: (reply: string) => void) => {
      if (typeof channel !== 'string') return ack?.('error')
      void socket.join(channel)
      ack?.('ok')
    })
    socket.on('publish', (message: { channel?: unknown, event?: unknown, data?: unknown }) => {
      if (typeof message?.channel !== 'string') return
      io.to(message.channel).emit('m', { event: message.event, channel: message.channel, data: message.data })
    })
  })
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject)
    http.listen(0, '127.0.0.1', resolve)
  })
  return {
    port: (http.address() as { port: number }).port,
    connections: () => io.engine.clientsCount,
    close: () => new Promise<void>((resolve) => {
      io.close(() => resolve())
    }),
  }
}
