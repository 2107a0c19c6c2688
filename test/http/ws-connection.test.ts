import type { Socket } from 'node:net'
import t, { type Test } from 'tap'
import type { WebSocket } from 'ws'
import { buildApp } from '../../src/app.js'
import { acceptWebSocket } from '../../src/http/websocket/accept.js'
import type { WsConnection } from '../../src/http/websocket/ws-connection.js'
import { testConfig, type ConfigOverrides } from '../helpers/config.js'
import { eventually, WsClient } from '../helpers/ws-client.js'

interface Harness {
  url: string
  accepted: () => Promise<WsConnection>
  /** The raw TCP sockets and the WebSockets of the accepted upgrades, in order. */
  rawSockets: Socket[]
  webSockets: WebSocket[]
  app: Awaited<ReturnType<typeof buildApp>>
}

// An app with one raw route that hands its sockets to the test.
async function harness (t: Test, overrides: ConfigOverrides = {}): Promise<Harness> {
  const app = await buildApp(testConfig(overrides), { logger: false })
  t.teardown(() => app.close())
  const queue: WsConnection[] = []
  const waiters: Array<(a: WsConnection) => void> = []
  const rawSockets: Socket[] = []
  const webSockets: WebSocket[] = []
  app.get('/writer-test', { websocket: true }, (socket: WebSocket, request) => {
    const accepted = acceptWebSocket(socket, request, 'test', app.services)
    rawSockets.push(request.raw.socket)
    webSockets.push(socket)
    const waiter = waiters.shift()
    if (waiter) waiter(accepted)
    else queue.push(accepted)
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const port = (app.server.address() as { port: number }).port
  return {
    app,
    rawSockets,
    webSockets,
    url: `ws://127.0.0.1:${port}/writer-test`,
    accepted: () => queue.length ? Promise.resolve(queue.shift()!) : new Promise((resolve) => waiters.push(resolve)),
  }
}

/** The HTTP status an upgrade was refused with. */
async function refusal (attempt: Promise<WsClient>): Promise<number | undefined> {
  return attempt.then((c) => { c.close(); return undefined }, (err: { statusCode?: number }) => err.statusCode)
}

t.test('frames sent in one tick leave in one write', async (t) => {
  const h = await harness(t)
  const client = await WsClient.connect(h.url)
  t.teardown(() => client.close())
  const connection = await h.accepted()
  const socket = (connection as unknown as { ws: { socket: Socket } }).ws.socket
  t.equal(socket, h.rawSockets[0], 'the upgrade request\'s socket, which WsConnection corks, is the one ws writes to')
  let writes = 0
  const original = { write: socket._write, writev: socket._writev }
  socket._write = function (...args: Parameters<Socket['_write']>) { writes++; return original.write.apply(this, args) }
  socket._writev = function (...args: Parameters<NonNullable<Socket['_writev']>>) { writes++; return original.writev!.apply(this, args) }
  const frame = Buffer.from(JSON.stringify({ hello: 'world' }))
  for (let i = 0; i < 100; i++) connection.send(frame)
  connection.send('a string frame')
  for (let i = 0; i < 100; i++) t.equal(await client.next(), '{"hello":"world"}')
  t.equal(await client.next(), 'a string frame')
  t.equal(writes, 1, '101 frames, one write')
  t.equal(client.ws.readyState, 1)
})

t.test('fan-out Buffers leave as one shared frame of every length class, in order with replies', async (t) => {
  const h = await harness(t)
  // ws clients offer permessage-deflate by default: the server must refuse it, since its frames
  // are never compressed (src/http/websocket/gateway-websocket.ts).
  const client = await WsClient.connect(h.url)
  t.teardown(() => client.close())
  t.equal(client.ws.extensions, '', 'no extension negotiated')
  const connection = await h.accepted()
  // 125/126 and 65535/65536 are where the length field grows (RFC 6455 §5.2).
  const sizes = [0, 1, 125, 126, 127, 65535, 65536, 70000]
  const payloads = sizes.map((size, i) => Buffer.from(String(i % 10).repeat(size)))
  for (const [i, payload] of payloads.entries()) {
    connection.send(payload)
    connection.send(`reply ${i}`)
    // The same Buffer again: the cached frame, not a stale one of the previous payload.
    connection.send(payload)
  }
  for (const [i, payload] of payloads.entries()) {
    t.equal(await client.next(), payload.toString(), `${payload.length} bytes`)
    t.equal(await client.next(), `reply ${i}`)
    t.equal(await client.next(), payload.toString(), `${payload.length} bytes again`)
  }
  t.equal(connection.traffic.framesOut, 3 * sizes.length)
  t.equal(connection.traffic.bytesOut, 2 * sizes.reduce((a, b) => a + b, 0) + payloads.reduce((sum, _p, i) => sum + `reply ${i}`.length, 0))
})

t.test('fan-out bytes past server.backlogLimit within one tick congest the node before the flush', async (t) => {
  const h = await harness(t, { server: { backlogLimit: 64 * 1024, backlogRecheck: 5 } })
  const client = await WsClient.connect(h.url)
  t.teardown(() => client.close())
  const connection = await h.accepted()
  const { outbound } = h.app.services
  const frame = Buffer.from('y'.repeat(1024))
  for (let i = 0; i < 63; i++) connection.send(frame)
  t.notOk(outbound.congested, '63 KiB written this tick: under the limit')
  for (let i = 0; i < 2; i++) connection.send(frame)
  t.ok(outbound.congested, 'past it: congested at once, in the same tick')
  t.equal(outbound.congestions, 1)
  // The client reads everything: the backlog drains and publishers may go on.
  for (let i = 0; i < 65; i++) await client.next()
  await outbound.relieved()
  t.notOk(outbound.congested)
})

t.test('an accepted socket keeps neither the upgrade response nor a listener per connection', async (t) => {
  const h = await harness(t)
  const client = await WsClient.connect(h.url)
  const accepted = await h.accepted()
  const raw = h.rawSockets[0] as Socket & { _httpMessage?: unknown }
  // @fastify/websocket assigned a ServerResponse to the socket; kept, it would hold the request,
  // Fastify's request/reply and a child logger for the socket's whole life.
  t.equal(raw._httpMessage ?? null, null, 'the upgrade response is released')
  const second = await WsClient.connect(h.url)
  await h.accepted()
  for (const event of ['close', 'message', 'error']) {
    const [first, other] = h.webSockets.map((socket) => socket.listeners(event))
    t.equal(first.length, 1, `one ${event} listener`)
    t.equal(first[0], other[0], `the ${event} listener is a shared function, not a closure per connection`)
  }
  let text = ''
  accepted.attach({ receive: (received) => { text = received }, socketClosed: () => {} })
  client.send('hello')
  await eventually(() => text === 'hello')
  t.equal(text, 'hello')
  client.close()
  second.close()
  await eventually(() => h.app.services.connections.size === 0)
  t.equal(h.app.services.connections.size, 0, 'closed sockets leave the registry')
})

t.test('a client that never reads is closed with 1008 once past the byte cap; memory stays bounded', async (t) => {
  const h = await harness(t, { server: { sendBufferLimit: 256 * 1024, closeTimeout: 200 } })
  const client = await WsClient.connect(h.url)
  const accepted = await h.accepted()
  const connection = accepted
  const closed = new Promise<number>((resolve) => accepted.attach({ receive: () => {}, socketClosed: resolve }))
  // The client stops reading: the kernel buffers fill, then the server-side buffer grows.
  ;(client.ws as unknown as { _socket: Socket })._socket.pause()
  const frame = Buffer.alloc(16 * 1024, 'x')
  let maxBuffered = 0
  for (let i = 0; i < 5000 && connection.open; i++) {
    connection.send(frame)
    maxBuffered = Math.max(maxBuffered, connection.bufferedAmount)
    if (i % 50 === 0) await new Promise((resolve) => setImmediate(resolve))
  }
  t.equal(connection.open, false, 'closed before 80 MB were queued')
  t.ok(maxBuffered <= 256 * 1024 + frame.length, `buffer peaked at ${maxBuffered} bytes`)
  connection.send(frame)
  t.ok(connection.bufferedAmount <= maxBuffered, 'frames after the close are dropped')
  t.equal(h.app.services.connections.slowConsumersClosed, 1)
  await closed
  t.equal(h.app.services.connections.size, 0, 'the socket was destroyed and unregistered')
  client.ws.terminate()
})

t.test('close() sends the code, binary frames arrive as text, a throwing handler closes with 1011 only that socket', async (t) => {
  const h = await harness(t)
  const a = await WsClient.connect(h.url)
  const acceptedA = await h.accepted()
  const b = await WsClient.connect(h.url)
  const acceptedB = await h.accepted()
  acceptedA.attach({
    receive: (text) => {
      if (text === 'boom') throw new Error('session bug')
      acceptedA.send(`echo:${text}`)
    },
    socketClosed: () => {},
  })
  acceptedB.attach({
    receive: async (text) => {
      if (text === 'async boom') throw new Error('async session bug')
      acceptedB.send(`echo:${text}`)
    },
    socketClosed: () => {},
  })
  a.sendRaw(Buffer.from('bin'), true)
  t.equal(await a.next(), 'echo:bin')
  a.send('boom')
  t.equal((await a.closed()).code, 1011)
  b.send('still fine')
  t.equal(await b.next(), 'echo:still fine')
  b.send('async boom')
  t.equal((await b.closed()).code, 1011)
  t.equal(acceptedB.open, false)
})

t.test('the remote address is the socket peer, or what a trusted proxy reported', async (t) => {
  const direct = await harness(t)
  const spoofing = await WsClient.connect(direct.url, { headers: { 'x-forwarded-for': '203.0.113.9' } })
  t.teardown(() => spoofing.close())
  t.equal((await direct.accepted()).remoteAddress, '127.0.0.1', 'headers are ignored without a trusted proxy')

  const proxied = await harness(t, { server: { trustProxy: true } })
  const client = await WsClient.connect(proxied.url, { headers: { 'x-forwarded-for': '203.0.113.9' } })
  const connection = await proxied.accepted()
  client.close()
  await eventually(() => !connection.open)
  t.equal(connection.remoteAddress, '203.0.113.9', 'read from the proxy headers at the upgrade, kept after close')
})

t.test('shutdown closes every socket with 1001 and refuses new upgrades', async (t) => {
  const h = await harness(t)
  const client = await WsClient.connect(h.url)
  const connection = await h.accepted()
  t.equal(connection.remoteAddress, '127.0.0.1')
  t.equal(connection.protocol, 'test')
  const health = await (await fetch(h.url.replace('ws:', 'http:').replace('/writer-test', '/health'))).json() as { connections: unknown }
  t.same(health.connections, { test: 1 })
  h.app.services.accepting = false
  t.equal(await refusal(WsClient.connect(h.url)), 503)
  const ready = await fetch(h.url.replace('ws:', 'http:').replace('/writer-test', '/ready'))
  t.equal(ready.status, 503)
  const closing = h.app.close()
  t.equal((await client.closed()).code, 1001)
  await closing
  await eventually(() => h.app.services.connections.size === 0)
})

t.test('origins outside the allowlist are refused', async (t) => {
  const h = await harness(t, { server: { allowedOrigins: ['https://good.example'] } })
  t.equal(await refusal(WsClient.connect(h.url, { origin: 'https://evil.example' })), 403)
  const ok = await WsClient.connect(h.url, { origin: 'https://good.example' })
  ok.close()
  const noOrigin = await WsClient.connect(h.url)
  noOrigin.close()
})

t.test('frames over maxPayload close only that connection', async (t) => {
  const h = await harness(t, { server: { maxPayload: 1024 } })
  const big = await WsClient.connect(h.url)
  await h.accepted()
  const small = await WsClient.connect(h.url)
  const acceptedSmall = await h.accepted()
  acceptedSmall.attach({ receive: (text) => acceptedSmall.send(text), socketClosed: () => {} })
  big.send('x'.repeat(4096))
  t.equal((await big.closed()).code, 1009)
  small.send('ok')
  t.equal(await small.next(), 'ok')
  small.close()
})

t.test('a connection keeps its opening time and counts its own traffic', async (t) => {
  const h = await harness(t)
  const before = Date.now()
  const client = await WsClient.connect(h.url)
  t.teardown(() => client.close())
  const connection = await h.accepted()
  const after = Date.now()
  t.ok(connection.connectedAt >= before && connection.connectedAt <= after, 'connectedAt is the accept time, in ms since the epoch')
  t.equal(connection.connectedAt, connection.connectedAt, 'and stays that time')
  connection.attach({ receive: (text) => connection.send(`re:${text}`), socketClosed: () => {} })
  client.send('hello')
  t.equal(await client.next(), 're:hello')
  t.equal(connection.traffic, connection, 'the counters are the connection\'s own fields')
  t.match(connection.traffic, { framesIn: 1, bytesIn: 5, framesOut: 1, bytesOut: 8 })
})
