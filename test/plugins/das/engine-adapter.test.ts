import t, { type Test } from 'tap'
import type { FastifyInstance } from 'fastify'
import {
  boundPollingClose, dropConnection, packetBytes, transportBufferedBytes, writeBufferBytes, type EngineConnection,
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

  const second = nextConnection(app)
  await (await fetch(base, { signal: AbortSignal.timeout(2000) })).text()
  const other = await second
  boundPollingClose(other, 50)
  const at = Date.now()
  other.close()
  await eventually(() => other.readyState === 'closed', 1000, 'closed after 50 ms')
  t.ok(Date.now() - at >= 40, 'after the bound, not at once')
})
