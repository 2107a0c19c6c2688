import type { Socket } from 'node:net'
import type { Test } from 'tap'
import type { WebSocket } from 'ws'
import { eventually, type WsClient } from './ws-client.js'

export interface FloodLimits {
  /** Stop sending after this many bytes: a server without a cap never closes the client. */
  maxBytes?: number
  /** Frames written between two turns of the event loop. */
  batch?: number
  /** Stop after this many ms whatever happened. */
  timeout?: number
}

export interface Flood {
  /** Bytes of request frames written. */
  sentBytes: number
  /** Highest process RSS seen while flooding, minus the RSS before it. */
  rssGrowth: number
  /** Whether `stopped` held when the loop ended. */
  stopped: boolean
}

// The client's own outbound buffer stays below this: the test measures the server, not a
// client that queues its requests in memory faster than TCP takes them.
const CLIENT_BUFFER = 256 * 1024

/** Stops the client reading its socket: the kernel buffers fill, then the server's must grow. */
export function stopReading (client: WsClient): Socket {
  const socket = (client.ws as unknown as { _socket: Socket })._socket
  socket.pause()
  return socket
}

/**
 * The client of issue 14: sends request frames in a loop (reading or not is the caller's
 * doing). Writes `frame(i)` in paced batches until `stopped()` holds (the server gave up on
 * the client), the socket is no longer open, `maxBytes` were written or `timeout` passed.
 */
export async function floodWithoutReading (ws: WebSocket, frame: (i: number) => string, stopped: () => boolean, limits: FloodLimits = {}): Promise<Flood> {
  const { maxBytes = 32 * 1024 * 1024, batch = 8, timeout = 15_000 } = limits
  const deadline = Date.now() + timeout
  const rssBefore = process.memoryUsage.rss()
  let rssPeak = rssBefore
  let sentBytes = 0
  let i = 0
  while (!stopped() && ws.readyState === ws.OPEN && sentBytes < maxBytes && Date.now() < deadline) {
    if (ws.bufferedAmount < CLIENT_BUFFER) {
      for (let n = 0; n < batch; n++) {
        const text = frame(i++)
        ws.send(text)
        sentBytes += Buffer.byteLength(text)
      }
    }
    rssPeak = Math.max(rssPeak, process.memoryUsage.rss())
    await new Promise((resolve) => setImmediate(resolve))
  }
  return { sentBytes, rssGrowth: rssPeak - rssBefore, stopped: stopped() }
}

interface AppLike { services: { connections: { slowConsumersClosed: number, size: number } } }

export interface CapCheck {
  /** Connections that stay open besides the flooding client. */
  others?: number
  /** Bytes the client sends while still reading first (default 512 kB, 8 x a 64 kB cap). */
  controlBytes?: number
  maxBytes?: number
}

/**
 * Issue 14's check for one protocol, on a server whose sendBufferLimit is small (64 kB). First
 * `client` sends `frame(i)` in a loop while reading its replies: it must stay open, so what
 * follows measures a consumer that stopped reading, not the size of one burst. Then it stops
 * reading and goes on: the server must close it as a slow consumer (counted once,
 * unregistered, socket ended) long before the loop has sent `maxBytes`.
 */
export async function expectClosedAtCap (t: Test, app: AppLike, client: WsClient, frame: (i: number) => string, options: CapCheck = {}): Promise<Flood> {
  const { maxBytes = 32 * 1024 * 1024, others = 0, controlBytes = 512 * 1024 } = options
  const { connections } = app.services
  const before = connections.slowConsumersClosed
  // Small batches: the replies of one turn of the event loop stay far below the cap.
  const batch = 8
  const control = await floodWithoutReading(client.ws, frame, () => connections.slowConsumersClosed > before, { maxBytes: controlBytes, batch })
  t.equal(connections.slowConsumersClosed, before, `a client that reads its replies stays open (${control.sentBytes} bytes sent)`)
  t.equal(client.ws.readyState, client.ws.OPEN)
  client.frames.length = 0

  const socket = stopReading(client)
  const flood = await floodWithoutReading(client.ws, (i) => frame(i + 1_000_000), () => connections.slowConsumersClosed > before, { maxBytes, batch })
  t.ok(flood.stopped, `once it stops reading, closed after ${flood.sentBytes} bytes of requests (process RSS +${Math.round(flood.rssGrowth / 1048576)} MB)`)
  t.ok(flood.sentBytes < maxBytes, `before the loop sent its ${maxBytes} bytes`)
  t.equal(connections.slowConsumersClosed, before + 1, 'counted once as a slow consumer')
  await eventually(() => connections.size === others, 3000, 'the connection unregistered')
  // Reading again, the client finds its socket closed by the server.
  socket.resume()
  await client.closed(3000)
  return flood
}
