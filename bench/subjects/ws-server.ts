// Baseline 1: what a user writes with plain `ws` — authenticate, subscribe to a channel, and a
// publish loops over the channel's sockets calling send() for each (the frame is built once).
import { WebSocketServer, type WebSocket } from 'ws'
import { CREDENTIALS } from '../lib/wire.js'
import type { RunningServer } from './types.js'

interface Client { user: string | null, channels: Set<string> }

export async function startWsServer (): Promise<RunningServer> {
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
        const frame = JSON.stringify({ event: message.event, channel: message.pub, data: message.data })
        for (const member of channels.get(message.pub) ?? []) member.send(frame)
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
