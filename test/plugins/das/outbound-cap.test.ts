import t, { type Test } from 'tap'
import type { FastifyInstance } from 'fastify'
import { transportBufferedBytes, writeBufferBytes, type EngineConnection } from '../../../plugins/das/engine-adapter.js'
import { startApp } from '../../helpers/app.js'
import { stopReading } from '../../helpers/never-reading.js'
import { WsClient } from '../../helpers/ws-client.js'
import { dasOverrides } from './das-client.js'

// The cap's own count (packetCreate to flush) must agree with what engine.io and ws really
// hold: sampled after every packet, the bytes waiting never pass the limit by more than the
// packet that crossed it, on either transport.
const LIMIT = 64 * 1024
const CHUNK = 'x'.repeat(4096)
const overrides = () => ({ ...dasOverrides({ authWindow: 0 }), server: { sendBufferLimit: LIMIT, closeTimeout: 200 } })

function nextConnection (app: FastifyInstance): Promise<EngineConnection> {
  return new Promise((resolve) => app.das.io.engine.once('connection', resolve))
}

/** Server packets until the cap drops the connection (bounded); the most bytes seen waiting. */
async function writeUntilDropped (t: Test, app: FastifyInstance, conn: EngineConnection): Promise<number> {
  let peak = 0
  for (let i = 0; i < 100_000 && conn.readyState === 'open'; i++) {
    conn.write(CHUNK)
    if (conn.readyState === 'open') peak = Math.max(peak, transportBufferedBytes(conn) + writeBufferBytes(conn))
    if (i % 16 === 0) await new Promise((resolve) => setImmediate(resolve))
  }
  t.equal(conn.readyState, 'closed', 'dropped')
  t.equal(app.services.connections.slowConsumersClosed, 1, 'counted as a slow consumer')
  t.equal(app.services.connections.figures.of('das').slowConsumersClosed, 1, 'of DAS (switchboard_slow_consumers_closed_total)')
  return peak
}

t.test('WebSocket: the bytes waiting stay within the cap plus one packet', async (t) => {
  const { app, wsUrl } = await startApp(t, overrides())
  const accepted = nextConnection(app)
  const client = await WsClient.connect(`${wsUrl}/socket.io/?EIO=4&transport=websocket`)
  t.teardown(() => client.ws.terminate())
  const conn = await accepted
  await client.next()
  stopReading(client)
  const peak = await writeUntilDropped(t, app, conn)
  t.ok(peak > LIMIT / 2, `the buffers did fill (${peak} bytes)`)
  t.ok(peak <= LIMIT + CHUNK.length + 1, `peak ${peak} bytes`)
})

t.test('long-polling: the bytes waiting stay within the cap plus one packet', async (t) => {
  const { app, url } = await startApp(t, overrides())
  const accepted = nextConnection(app)
  await (await fetch(`${url}/socket.io/?EIO=4&transport=polling`, { signal: AbortSignal.timeout(2000) })).text()
  const conn = await accepted
  // The open packet went with the handshake; nothing polls from now on.
  const peak = await writeUntilDropped(t, app, conn)
  t.ok(peak > LIMIT - CHUNK.length - 1, `the write buffer did fill (${peak} bytes)`)
  t.ok(peak <= LIMIT + CHUNK.length + 1, `peak ${peak} bytes`)
})
