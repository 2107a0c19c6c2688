import t, { type Test } from 'tap'
import type { FastifyInstance } from 'fastify'
import type { Socket } from 'socket.io'
import { ConnectionTraffic } from '../../../src/core/connection.js'
import { directSocketOf, transportBufferedBytes, writeBufferBytes } from '../../../plugins/das/engine-adapter.js'
import { SharedPayload } from '../../../plugins/das/event-encoding.js'
import { EventWriter } from '../../../plugins/das/event-writer.js'
import { request, startApp, TEST_API_KEY } from '../../helpers/app.js'
import { ADMIN, ALICE } from '../../helpers/config.js'
import { stopReading } from '../../helpers/never-reading.js'
import { eventually, WsClient } from '../../helpers/ws-client.js'
import { authorizedClient, dasOverrides, oauthToken, type ClientVersion } from './das-client.js'

// Data events written past socket.io (event-writer.ts): the same bytes as socket.emit, in the
// connection's order, acknowledged through socket.io, counted and capped.

const LIMIT = 256 * 1024
// No auth window, and no connect_ack among the frames the raw clients compare.
const overrides = () => ({ ...dasOverrides({ authWindow: 0, connectAckDelay: 60_000 }), server: { sendBufferLimit: LIMIT, closeTimeout: 200 } })

/** A raw WebSocket client on /das (Engine.IO v4 or v3) and the server's socket for it. */
async function rawClient (t: Test, app: FastifyInstance, wsUrl: string, eio: 3 | 4): Promise<{ client: WsClient, socket: Socket }> {
  const client = await WsClient.connect(`${wsUrl}/socket.io/?EIO=${eio}&transport=websocket`)
  t.teardown(() => client.ws.terminate())
  t.match(await client.next(), /^0\{/)
  // Engine.IO v3: socket.io connects the main namespace by itself.
  if (eio === 3) t.equal(await client.next(), '40')
  client.sendRaw('40/das,')
  t.match(await client.next(), /^40\/das/)
  const nsp = app.das.io.of('/das')
  await eventually(() => nsp.sockets.size === 1, 2000, 'namespace socket')
  return { client, socket: [...nsp.sockets.values()][0] }
}

const writerOf = (app: FastifyInstance, socket: Socket) => new EventWriter(socket, new ConnectionTraffic(), app.services.outbound)

const PAYLOAD = { type: 'subject_update', data: { id: 's1', name: 'Éléphant "Big" \\ 🐘', last_position: { coordinates: [36.8, -1.29] }, track: [[1, 2]] } }

for (const eio of [4, 3] as const) {
  t.test(`Engine.IO v${eio}: the frame is socket.emit's, and the client's ack reaches socket.io's callback`, async (t) => {
    const { app, wsUrl } = await startApp(t, overrides())
    const { client, socket } = await rawClient(t, app, wsUrl, eio)
    const writer = writerOf(app, socket)
    t.ok(directSocketOf(socket.conn), 'a WebSocket with nothing queued is written directly')

    socket.emit('subject_update', { ...PAYLOAD, mid: 5, trace_id: 'trace-x-1.000001' }, () => {})
    const viaSocketIo = await client.next()
    const id = Number(/^42\/das,(\d+)\[/.exec(viaSocketIo)![1])

    const acked = new Promise<unknown[]>((resolve) => writer.write('subject_update', new SharedPayload(PAYLOAD), { mid: 5, traceId: 'trace-x-1.000001' }, (...args) => resolve(args)))
    const direct = await client.next()
    t.equal(direct, viaSocketIo.replace(`42/das,${id}[`, `42/das,${id + 1}[`), 'the same packet, with the next ack id')
    client.sendRaw(`43/das,${id + 1}["trace-x-1.000001"]`)
    t.same(await acked, ['trace-x-1.000001'], 'the ack came back through socket.io')

    // service_status-like: no ack, no trace_id.
    writer.write('subject_update', new SharedPayload(PAYLOAD), { mid: 6 })
    t.equal(await client.next(), `42/das,["subject_update",${JSON.stringify({ ...PAYLOAD, mid: 6 })}]`, 'untraced: no ack id, no trace_id')
  })
}

t.test('replies and deliveries leave in the order they were sent, whichever way each goes', async (t) => {
  const { app, wsUrl } = await startApp(t, { ...overrides(), server: { sendBufferLimit: 64 * 1024 * 1024, closeTimeout: 200 } })
  const { client, socket } = await rawClient(t, app, wsUrl, 4)
  const writer = writerOf(app, socket)
  const big = 'r'.repeat(32 * 1024)
  const shared = new SharedPayload(PAYLOAD)
  let direct = 0
  let queued = 0
  const COUNT = 300
  for (let i = 0; i < COUNT; i++) {
    if (i % 3 === 0) {
      // A reply through socket.io: once the transport is busy, engine.io holds it.
      socket.emit('echo_resp', { type: 'echo_resp', resp_id: i, message: big })
    } else {
      if (directSocketOf(socket.conn)) direct++
      else queued++
      writer.write('subject_update', shared, { mid: i })
    }
  }
  t.ok(direct > 0 && queued > 0, `both ways taken (${direct} direct, ${queued} behind engine.io's buffer)`)
  const order: number[] = []
  for (let i = 0; i < COUNT; i++) {
    const [event, payload] = JSON.parse((await client.next()).slice('42/das,'.length)) as [string, { resp_id?: number, mid?: number }]
    order.push(event === 'echo_resp' ? payload.resp_id! : payload.mid!)
  }
  t.same(order, Array.from({ length: COUNT }, (_, i) => i))
})

t.test('a client that stops reading direct writes is dropped at the cap', async (t) => {
  const { app, wsUrl } = await startApp(t, overrides())
  const { client, socket } = await rawClient(t, app, wsUrl, 4)
  const writer = writerOf(app, socket)
  const conn = socket.conn
  const shared = new SharedPayload({ type: 'subject_update', data: { pad: 'x'.repeat(4096) } })
  stopReading(client)
  let peak = 0
  let direct = 0
  for (let i = 0; i < 10_000 && conn.readyState === 'open'; i++) {
    if (directSocketOf(conn)) direct++
    writer.write('subject_update', shared, { mid: i })
    if (conn.readyState === 'open') peak = Math.max(peak, transportBufferedBytes(conn) + writeBufferBytes(conn))
    if (i % 16 === 0) await new Promise((resolve) => setImmediate(resolve))
  }
  t.equal(conn.readyState, 'closed', 'dropped')
  t.ok(direct > 0, `written directly (${direct})`)
  t.equal(app.services.connections.figures.of('das').slowConsumersClosed, 1, 'counted as a DAS slow consumer')
  t.ok(peak > LIMIT / 2 && peak <= LIMIT + 4096 + 64, `peak ${peak} bytes`)
})

t.test('REST subject updates reach real clients, their acks clear the traces, traffic is counted', async (t) => {
  const { app, url } = await startApp(t, dasOverrides())
  const tokens = [await oauthToken(url, ALICE), await oauthToken(url, ADMIN)]
  const clients = []
  for (const version of [4, 2] as ClientVersion[]) {
    for (const token of tokens) clients.push(await authorizedClient(t, url, token, { version }))
  }
  const sent = () => [...app.services.connections.live()].filter((c) => c.protocol === 'das').map((c) => c.traffic.bytesOut)
  const sentBefore = sent()
  const N = 20
  for (let i = 0; i < N; i++) {
    const body = { subject: { id: `s${i}`, name: `élan ${i}` }, track: [i], trackUsers: ['admin'] }
    t.equal((await request(url, 'POST', '/api/das/subject-updates', { apiKey: TEST_API_KEY, body })).status, 202)
  }
  for (const [c, client] of clients.entries()) {
    for (let i = 0; i < N; i++) {
      const payload = await client.next('subject_update')
      t.equal(payload.mid, i + 1)
      t.same(payload.data.track, c % 2 === 1 ? [i] : undefined, c % 2 === 1 ? 'admin sees the track' : 'alice does not')
    }
  }
  await eventually(() => [...app.das.sessions.all()].every((s) => s.pendingTraces === 0), 2000, 'every trace acknowledged')
  const sentAfter = sent()
  t.equal(sentAfter.length, clients.length)
  t.ok(sentAfter.every((bytes, i) => bytes > sentBefore[i] + N * 60), 'the data events count as sent traffic')
})
