// Baseline 1: what a user writes with plain `ws` — authenticate, subscribe to a channel, and a
// publish loops over the channel's sockets calling send() for each (the JSON is built once).
// With `prebuilt` (subject `ws-prebuilt`, issue 21) the same server builds the whole WebSocket
// frame once per publish and writes that Buffer to every socket, corked per tick.
import type { Socket } from 'node:net'
import { WebSocketServer, type WebSocket } from 'ws'
import { plainRequest, type PlainClient } from './plain-wire.js'
import { CorkedWriter, textFrame } from './prebuilt-frame.js'
import type { RunningServer } from './types.js'

interface Client extends PlainClient { channels: Set<string> }

/** ws keeps the connection's net.Socket in a private field; the prebuilt writer writes to it. */
const socketOf = (ws: WebSocket) => (ws as unknown as { _socket: Socket })._socket

/**
 * The baseline's whole protocol for one socket: auth, sub, pub. Shared with the Fastify-fronted
 * baseline (ws-fastify-server.ts), so the two differ only in who answers the upgrade.
 */
export function servePlainClient (ws: WebSocket, channels: Map<string, Set<WebSocket>>, writer: CorkedWriter | null): void {
  const client: Client = { user: null, channels: new Set() }
  ws.on('error', () => {})
  ws.on('close', () => { for (const name of client.channels) channels.get(name)?.delete(ws) })
  ws.on('message', (data) => {
    const request = plainRequest(data.toString(), client, ws)
    if (request === null) return
    if ('sub' in request) {
      let members = channels.get(request.sub)
      if (!members) channels.set(request.sub, members = new Set())
      members.add(ws)
      client.channels.add(request.sub)
      ws.send('{"ok":"sub"}')
      return
    }
    const members = channels.get(request.pub) ?? []
    if (writer) {
      const frame = textFrame(request.text)
      for (const member of members) writer.write(socketOf(member), frame)
    } else {
      for (const member of members) member.send(request.text)
    }
  })
}

export async function startWsServer ({ prebuilt = false }: { prebuilt?: boolean } = {}): Promise<RunningServer> {
  const writer = prebuilt ? new CorkedWriter() : null
  const channels = new Map<string, Set<WebSocket>>()
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: 64 * 1024 })
  wss.on('connection', (ws) => servePlainClient(ws, channels, writer))
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
