// One socket to one channel, whatever carries it: a plain WebSocket, or for a channel with a
// Socket.IO namespace (DAS) the bundled socket.io-client 4.x, served by this server.
import { io } from './vendor/socket.io.esm.min.js'

const describe = (data) => typeof data === 'string' ? data : `[binary, ${data.byteLength ?? data.size} bytes]`

/**
 * Opens `path` (DAS: the Socket.IO path, `namespace` its namespace) on this server. `on` gets
 * `open()`, `frame(text)` for each frame in, `closed(why)` once, and `note(text)`.
 * Returns `{ send(text, event), close() }`; `send` throws on a DAS payload that is not JSON.
 */
export function openSocket ({ path, namespace }, on) {
  return namespace === null ? openWebSocket(path, on) : openSocketIo(path, namespace, on)
}

function openWebSocket (path, on) {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:'
  const ws = new WebSocket(`${scheme}//${location.host}${path}`)
  ws.binaryType = 'arraybuffer'
  ws.addEventListener('open', () => on.open())
  ws.addEventListener('message', (event) => on.frame(describe(event.data)))
  // A browser reports no detail with `error`; the close that follows carries the code.
  ws.addEventListener('error', () => on.note('socket error'))
  ws.addEventListener('close', (event) => on.closed(`closed: code ${event.code}${event.reason ? `, reason "${event.reason}"` : ''}${event.wasClean ? '' : ' (not clean)'}`))
  return {
    send: (text) => ws.send(text),
    close: () => ws.close(1000, 'closed in the console'),
  }
}

function openSocketIo (path, namespace, on) {
  // One attempt, no reconnection: the log shows what the server did, not the client's retries.
  const socket = io(`${location.origin}${namespace}`, { path, reconnection: false, forceNew: true })
  socket.on('connect', () => {
    on.note(`connected, sid ${socket.id}, transport ${socket.io.engine.transport.name}`)
    on.open()
  })
  socket.onAny((event, ...args) => on.frame(`${event} ${args.map((arg) => JSON.stringify(arg)).join(' ')}`.trim()))
  socket.on('connect_error', (err) => on.closed(`connect_error: ${err.message}`))
  socket.on('disconnect', (reason, details) => on.closed(`disconnect: ${reason}${details?.description ? ` (${details.description})` : ''}`))
  return {
    send: (text, event) => socket.emit(event, JSON.parse(text)),
    close: () => socket.disconnect(),
  }
}
