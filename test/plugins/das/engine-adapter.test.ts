import t, { type Test } from 'tap'
import type { FastifyInstance } from 'fastify'
import type { Socket } from 'socket.io'
import {
  boundPollingClose, closeTransport, directSocketOf, dropConnection, packetBytes, registerAck, transportBufferedBytes, writeBufferBytes,
  type EngineConnection,
} from '../../../plugins/das/engine-adapter.js'
import { startApp } from '../../helpers/app.js'
import { stopReading } from '../../helpers/never-reading.js'
import { eventually, WsClient } from '../../helpers/ws-client.js'
import { dasOverrides } from './das-client.js'

// The adapter reads engine.io's and ws's private fields. Each test below fails if an upgrade
// of either moves one: a missing field reads as 0 or does nothing, and these numbers must move.

// A cap far away, so that the server itself never drops the connections these tests look at.
const overrides = () => ({ ...dasOverrides({ authWindow: 0 }), server: { sendBufferLimit: 1024 * 1024 * 1024, closeTimeout: 200 } })
const CHUNK = 'x'.repeat(16 * 1024)

/** The next Engine.IO connection the server accepts. */
function nextConnection (app: FastifyInstance): Promise<EngineConnection> {
  return new Promise((resolve) => app.das.io.engine.once('connection', resolve))
}

/** A raw Engine.IO v4 WebSocket client on /das, and the server's side of it. */
async function webSocketClient (t: Test, app: FastifyInstance, wsUrl: string): Promise<{ client: WsClient, conn: EngineConnection }> {
  const accepted = nextConnection(app)
  const client = await WsClient.connect(`${wsUrl}/socket.io/?EIO=4&transport=websocket`)
  t.teardown(() => client.ws.terminate())
  const conn = await accepted
  await client.next()
  client.send('40/das,')
  await client.next()
  return { client, conn }
}

/** Server packets to a client that does not read, until `enough` holds (bounded). */
async function writeUntil (conn: EngineConnection, enough: () => boolean): Promise<void> {
  for (let i = 0; i < 4096 && !enough(); i++) {
    conn.write(CHUNK)
    if (i % 16 === 0) await new Promise((resolve) => setImmediate(resolve))
  }
}

t.test('a packet counts its data, text or binary, and its type character', async (t) => {
  t.equal(packetBytes({ type: 'message', data: 'abc' }), 4)
  t.equal(packetBytes({ type: 'message', data: Buffer.alloc(10) }), 11)
  t.equal(packetBytes({ type: 'message', data: new ArrayBuffer(7) }), 8)
  t.equal(packetBytes({ type: 'message', data: new Uint8Array(5) }), 6)
  t.equal(packetBytes({ type: 'ping' }), 1)
})

t.test('WebSocket transport: ws.bufferedAmount, then the write buffer, grow when the client stops reading', async (t) => {
  const { app, wsUrl } = await startApp(t, overrides())
  const { client, conn } = await webSocketClient(t, app, wsUrl)
  t.equal(conn.transport.name, 'websocket')
  t.equal(transportBufferedBytes(conn), 0, 'nothing waits on a reading client')
  t.equal(writeBufferBytes(conn), 0)

  stopReading(client)
  await writeUntil(conn, () => transportBufferedBytes(conn) > 0 && writeBufferBytes(conn) >= CHUNK.length)
  t.ok(transportBufferedBytes(conn) > 0, `ws holds ${transportBufferedBytes(conn)} bytes`)
  // The transport takes one batch at a time: the next packets wait in engine.io's buffer.
  t.ok(writeBufferBytes(conn) >= CHUNK.length, `engine.io holds ${writeBufferBytes(conn)} bytes`)
})

t.test('dropConnection closes at once and destroys a WebSocket that cannot finish its close handshake', async (t) => {
  const { app, wsUrl } = await startApp(t, overrides())
  const { client, conn } = await webSocketClient(t, app, wsUrl)
  stopReading(client)
  await writeUntil(conn, () => writeBufferBytes(conn) >= CHUNK.length)
  const transport = conn.transport
  dropConnection(conn, app.services.config.server.closeTimeout)
  t.equal(conn.readyState, 'closed', 'no wait for a drain that will not come')
  await eventually(() => app.das.io.engine.clientsCount === 0, 1000, 'engine.io forgot the connection')
  // ws alone would wait 30 s for the peer's close frame; closeTimeout is 200 ms here.
  await eventually(() => transport.readyState === 'closed', 1500, 'the ws socket destroyed')
  t.equal(transport.readyState, 'closed')
})

t.test('closeTransport: buffered packets go out, then the transport closes with no DISCONNECT packet', async (t) => {
  const { app, wsUrl } = await startApp(t, overrides())
  const { client, conn } = await webSocketClient(t, app, wsUrl)
  conn.write('last words')
  closeTransport(conn, app.services.config.server.closeTimeout)
  await client.closed()
  // A DISCONNECT would be `41/das,`: socket.io clients would then not reconnect.
  t.same(client.frames, ['4last words'], 'the buffered packet, and nothing for the namespace')
  t.equal(conn.readyState, 'closed')
  await eventually(() => app.das.io.engine.clientsCount === 0, 1000, 'engine.io forgot the connection')
})

t.test('closeTransport: a client that does not read is destroyed after closeTimeout', async (t) => {
  const { app, wsUrl } = await startApp(t, overrides())
  const { client, conn } = await webSocketClient(t, app, wsUrl)
  stopReading(client)
  await writeUntil(conn, () => transportBufferedBytes(conn) > 0 && writeBufferBytes(conn) >= CHUNK.length)
  const transport = conn.transport
  const started = Date.now()
  closeTransport(conn, app.services.config.server.closeTimeout)
  t.equal(conn.readyState, 'closing', 'waiting for its buffer to drain')
  await eventually(() => conn.readyState === 'closed' && transport.readyState === 'closed', 1500, 'closed and the ws socket destroyed')
  t.ok(Date.now() - started >= 150, 'after closeTimeout (200 ms), not at once')
})

t.test('polling transport: packets wait in the write buffer; a close waits for a poll only closeTimeout', async (t) => {
  const { app, url } = await startApp(t, overrides())
  const accepted = nextConnection(app)
  const base = `${url}/socket.io/?EIO=4&transport=polling`
  const open = await fetch(base, { signal: AbortSignal.timeout(2000) })
  const sid = JSON.parse((await open.text()).slice(1)).sid as string
  const conn = await accepted
  t.equal(conn.transport.name, 'polling')
  t.equal(writeBufferBytes(conn), 0)

  // No GET pending: every packet waits in engine.io's buffer, none in a transport socket.
  conn.write('a'.repeat(100))
  conn.write('b'.repeat(50))
  t.equal(writeBufferBytes(conn), 152, 'data plus one type character per packet')
  t.equal(transportBufferedBytes(conn), 0)
  const poll = await fetch(`${base}&sid=${sid}`, { signal: AbortSignal.timeout(2000) })
  t.equal(await poll.text(), `4${'a'.repeat(100)}\x1e4${'b'.repeat(50)}`, 'a poll takes them')
  t.equal(writeBufferBytes(conn), 0)

  // The plugin bounded this connection's polling close at accept (closeTimeout 200 ms); a
  // second connection, bounded here, shows the function and not only the plugin's call.
  const started = Date.now()
  conn.close()
  await eventually(() => conn.readyState === 'closed', 2000, 'closed without the client polling')
  t.ok(Date.now() - started < 2000, 'within closeTimeout, not engine.io\'s 30 s')

  // closeTransport on long-polling: the waiting poll gets the close packet (and no namespace's DISCONNECT).
  const third = nextConnection(app)
  const thirdSid = JSON.parse((await (await fetch(base, { signal: AbortSignal.timeout(2000) })).text()).slice(1)).sid as string
  const polled = await third
  await (await fetch(`${base}&sid=${thirdSid}`, { method: 'POST', body: '40/das,', signal: AbortSignal.timeout(2000) })).text()
  t.match(await (await fetch(`${base}&sid=${thirdSid}`, { signal: AbortSignal.timeout(2000) })).text(), /^40\/das,/, 'on /das')
  const waiting = fetch(`${base}&sid=${thirdSid}`, { signal: AbortSignal.timeout(2000) }).then((r) => r.text())
  await eventually(() => polled.transport.writable, 1000, 'the poll waits')
  closeTransport(polled, 200)
  t.equal(await waiting, '1', 'the close packet alone')
  t.equal(polled.readyState, 'closed')

  const second = nextConnection(app)
  await (await fetch(base, { signal: AbortSignal.timeout(2000) })).text()
  const other = await second
  boundPollingClose(other, 50)
  const at = Date.now()
  other.close()
  await eventually(() => other.readyState === 'closed', 1000, 'closed after 50 ms')
  t.ok(Date.now() - at >= 40, 'after the bound, not at once')
})

/** The server's /das socket of the only connection. */
async function dasSocket (app: FastifyInstance): Promise<Socket> {
  const nsp = app.das.io.of('/das')
  await eventually(() => nsp.sockets.size === 1, 2000, 'namespace socket')
  return [...nsp.sockets.values()][0]
}

t.test('directSocketOf: the TCP socket under an idle WebSocket; null while engine.io holds packets, and on long-polling', async (t) => {
  const { app, url, wsUrl } = await startApp(t, overrides())
  const { client, conn } = await webSocketClient(t, app, wsUrl)
  const tcp = directSocketOf(conn)
  const clientSocket = (client.ws as unknown as { _socket: { localPort: number } })._socket
  t.equal(tcp?.remotePort, clientSocket.localPort, 'the socket the client is connected to')
  stopReading(client)
  await writeUntil(conn, () => writeBufferBytes(conn) > 0)
  t.equal(directSocketOf(conn), null, 'a packet waits in engine.io: a frame written now would overtake it')

  const accepted = nextConnection(app)
  await (await fetch(`${url}/socket.io/?EIO=4&transport=polling`, { signal: AbortSignal.timeout(2000) })).text()
  t.equal(directSocketOf(await accepted), null, 'long-polling')
})

t.test('registerAck takes the namespace\'s next ack id; a plain acknowledgement skips socket.io\'s decoder and reaches it', async (t) => {
  const { app, wsUrl } = await startApp(t, overrides())
  const { client } = await webSocketClient(t, app, wsUrl)
  const socket = await dasSocket(app)
  let decoded = 0
  ;(socket.client as unknown as { decoder: { on (e: string, f: () => void): void } }).decoder.on('decoded', () => { decoded++ })

  socket.emit('x', 1, () => {})
  const first = Number(/^42\/das,(\d+)\[/.exec(await client.next())![1])
  const calls: unknown[][] = []
  const id = registerAck(socket, function (this: unknown, ...args: unknown[]) { calls.push([this === socket, ...args]) })
  t.equal(id, first + 1, 'the id socket.emit would have taken')
  client.send(`43/das,${id}["trace-a-1.000001"]`)
  await eventually(() => calls.length === 1, 1000, 'the ack ran')
  t.same(calls, [[true, 'trace-a-1.000001']], 'with the socket as this, as socket.io calls acks')
  t.equal(decoded, 0, 'socket.io\'s decoder did not see it')
  client.send(`43/das,${id}["trace-a-1.000001"]`)

  // Anything else still goes through socket.io: an escape in the string, another packet type.
  const escaped = registerAck(socket, (...args: unknown[]) => { calls.push(args) })
  client.send(`43/das,${escaped}["a\\"b"]`)
  await eventually(() => calls.length === 2, 1000, 'the escaped ack ran')
  t.same(calls[1], ['a"b'])
  t.equal(decoded, 1, 'only the escaped one went through socket.io (the duplicate plain ack did nothing)')
})
