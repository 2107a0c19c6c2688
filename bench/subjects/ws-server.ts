// Baseline 1: what a user writes with plain `ws` — authenticate, subscribe to a channel, and a
// publish loops over the channel's sockets calling send() for each (the JSON is built once).
// With `prebuilt` (subject `ws-prebuilt`, issue 21) the same server builds the whole WebSocket
// frame once per publish and writes that Buffer to every socket, corked per tick.
import type { Socket } from 'node:net'
import { WebSocketServer, type WebSocket } from 'ws'
import { CREDENTIALS } from '../lib/wire.js'
import { CorkedWriter, textFrame } from './prebuilt-frame.js'
import type { RunningServer } from './types.js'

interface Client { user: string | null, channels: Set<string> }

/** ws keeps the connection's net.Socket in a private field; the prebuilt writer writes to it. */
const socketOf = (ws: WebSocket) => (ws as unknown as { _socket: Socket })._socket

export async function startWsServer ({ prebuilt = false }: { prebuilt?: boolean } = {}): Promise<RunningServer> {
  const writer = new CorkedWriter()
  const channels = new Map<string, Set<WebSocket>>()
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: 64 * 1024 })
  wss.on('connection', (ws) => {
    const client: Client = { user: null, channels: new Set() }
    ws.on('error', () => {})
    ws.on('close', () => { for (const name of client.channels) channels.get(name)?.delete(ws) })
    ws.on('message', (data) => {
      let message: { auth?: { user?: unknown, secret?: unknown }, sub?: unknown, pub?: unknown, event?: unknown, data?: unknown }
      try {
        message = JSON.parse(data.toString())
      } catch {
        ws.send('{"error":"invalid json"}')
        return
      }
      if (message.auth) {
        const ok = message.auth.user === CREDENTIALS.user && message.auth.secret === CREDENTIALS.secret
        client.user = ok ? CREDENTIALS.user : null
        ws.send(ok ? '{"ok":"auth"}' : '{"error":"credentials"}')
      } else if (!client.user) {
        ws.send('{"error":"not authenticated"}')
      } else if (typeof message.sub === 'string') {
        let members = channels.get(message.sub)
        if (!members) channels.set(message.sub, members = new Set())
        members.add(ws)
        client.channels.add(message.sub)
        ws.send('{"ok":"sub"}')
      } else if (typeof message.pub === 'string') {
        const text = JSON.stringify({ event: message.event, channel: message.pub, data: message.data })
        const members = channels.get(message.pub) ?? []
        if (prebuilt) {
          const frame = textFrame(text)
          for (const member of members) writer.write(socketOf(member), frame)
        } else {
          for (const member of members) member.send(text)
        }
      } else {
        ws.send('{"error":"unknown"}')
      }
    })
  })
  await new Promise<void>((resolve, reject) => {
    wss.once('listening', resolve)
    wss.once('error', reject)
  })
  return {
    port: (wss.address() as { port: number }).port,
    connections: () => wss.clients.size,
    close: () => new Promise<void>((resolve) => {
      for (const ws of wss.clients) ws.terminate()
      wss.close(() => resolve())
    }),
  }
}
