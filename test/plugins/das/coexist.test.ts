import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../../src/app.js'
import { request, TEST_API_KEY } from '../../helpers/app.js'
import { ALICE, testConfig, type ConfigOverrides } from '../../helpers/config.js'
import { eventually, WsClient } from '../../helpers/ws-client.js'
import { authorizedClient, dasOverrides, DasClient, oauthToken } from './das-client.js'

/** An app with a tiny WebSocket echo route of its own, registered before listen. */
async function startWithEchoRoute (t: { teardown (fn: () => unknown): void }, overrides: ConfigOverrides = {}): Promise<{ app: FastifyInstance, url: string, wsUrl: string }> {
  const app = await buildApp(testConfig({ ...dasOverrides(), ...overrides }), { logger: false })
  t.teardown(() => app.close())
  app.get('/test-echo', { websocket: true }, (socket) => {
    socket.on('message', (data: Buffer) => socket.send(data.toString()))
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const port = (app.server.address() as { port: number }).port
  return { app, url: `http://127.0.0.1:${port}`, wsUrl: `ws://127.0.0.1:${port}` }
}

t.test('a plain WebSocket route and DAS on one server at the same time', async (t) => {
  const { url, wsUrl } = await startWithEchoRoute(t)
  const token = await oauthToken(url, ALICE)
  const ws = await WsClient.connect(`${wsUrl}/test-echo`)
  t.teardown(() => ws.close())
  const v4 = await authorizedClient(t, url, token, { version: 4 })
  const v2 = await authorizedClient(t, url, token, { version: 2 })
  const polling = await authorizedClient(t, url, token, { transports: ['polling'] })
  const upgrading = await authorizedClient(t, url, token, { transports: ['polling', 'websocket'] })

  ws.send('ping-1')
  t.equal(await ws.next(), 'ping-1')
  for (const client of [v4, v2, polling, upgrading]) t.equal((await client.request('echo', { data: 'a' }, 'echo_resp')).message, 'a')
  // engine.io's own upgrade listener used to end foreign upgrades after 1 s: outlive that.
  await ws.expectNothing(1200)
  ws.send('ping-2')
  t.equal(await ws.next(), 'ping-2')
  for (const client of [v4, v2, polling, upgrading]) {
    t.ok(client.connected)
    t.equal((await client.request('echo', { data: 'b' }, 'echo_resp')).message, 'b')
  }
  // A second WebSocket opened after the DAS ones works too.
  const ws2 = await WsClient.connect(`${wsUrl}/test-echo`)
  t.teardown(() => ws2.close())
  ws2.send('x')
  t.equal(await ws2.next(), 'x')
})

t.test('upgrades and requests are routed by path', async (t) => {
  const { url, wsUrl } = await startWithEchoRoute(t)
  // Unknown WebSocket paths are still Fastify's 404.
  const missing = await WsClient.connect(`${wsUrl}/nowhere`).catch((err: { statusCode?: number }) => err)
  t.equal((missing as { statusCode?: number }).statusCode, 404)
  // Under the socket.io path engine.io answers, not Fastify: a bad upgrade is engine.io's 400.
  const bad = await WsClient.connect(`${wsUrl}/socket.io/?EIO=4&transport=bogus`).catch((err: { statusCode?: number, body?: string }) => err)
  t.equal((bad as { statusCode?: number }).statusCode, 400)
  t.equal((bad as { body?: string }).body, 'Transport unknown')
  // Long-polling handshakes reach engine.io.
  const handshake = await request(url, 'GET', '/socket.io/?EIO=4&transport=polling')
  t.equal(handshake.status, 200)
  t.match(handshake.body, /^0\{"sid":/)
  const unknown = await request(url, 'GET', '/socket.io/')
  t.equal(unknown.status, 400)
  t.match(unknown.body, { code: 0, message: 'Transport unknown' })
  // Other HTTP routes are untouched.
  t.equal((await request(url, 'GET', '/health')).status, 200)
})

t.test('DAS sockets count in health and are closed by graceful shutdown', async (t) => {
  const { app, url } = await startWithEchoRoute(t)
  const token = await oauthToken(url, ALICE)
  const ws = await authorizedClient(t, url, token)
  const polling = await authorizedClient(t, url, token, { transports: ['polling'] })
  const health = await request(url, 'GET', '/health')
  t.equal(health.body.connections.das, 2)
  const closing = app.close()
  await ws.disconnected()
  await polling.disconnected(3000)
  await closing
  t.equal(app.services.connections.size, 0)
})

t.test('new handshakes are refused while shutting down and from origins outside the allowlist', async (t) => {
  const { app, url } = await startWithEchoRoute(t, { server: { allowedOrigins: ['https://ok.example'] } })
  const token = await oauthToken(url, ALICE)
  await authorizedClient(t, url, token, { extraHeaders: { origin: 'https://ok.example' } })
  await authorizedClient(t, url, token)
  await t.rejects(DasClient.connect(url, { extraHeaders: { origin: 'https://evil.example' } }))
  await t.rejects(DasClient.connect(url, { transports: ['polling'], extraHeaders: { origin: 'https://evil.example' } }))
  app.services.accepting = false
  await t.rejects(DasClient.connect(url))
})

t.test('a consumer that stops reading is dropped at server.sendBufferLimit, not buffered without bound', async (t) => {
  const { app, url } = await startWithEchoRoute(t, { server: { sendBufferLimit: 16 * 1024 } })
  const token = await oauthToken(url, ALICE)
  // A raw Engine.IO v4 long-polling client that stops polling after authorizing.
  const base = `${url}/socket.io/?EIO=4&transport=polling`
  const open = await request(url, 'GET', '/socket.io/?EIO=4&transport=polling')
  const sid = JSON.parse(String(open.body).slice(1)).sid as string
  const post = (body: string) => fetch(`${base}&sid=${sid}`, { method: 'POST', body, headers: { 'content-type': 'text/plain' }, signal: AbortSignal.timeout(2000) })
  t.equal((await post('40/das,')).status, 200)
  t.match(await (await fetch(`${base}&sid=${sid}`, { signal: AbortSignal.timeout(2000) })).text(), /^40\/das,/)
  await post(`42/das,${JSON.stringify(['authorization', { type: 'authorization', id: 1, authorization: `Bearer ${token}` }])}`)
  await eventually(() => [...app.das.sessions.all()].some((s) => s.user !== null))
  const reader = await authorizedClient(t, url, token)

  const big = 'x'.repeat(4096)
  for (let i = 0; i < 8; i++) await request(url, 'POST', '/api/das/emit', { apiKey: TEST_API_KEY, body: { type: 'radio_message', data: { i, big } } })
  await eventually(() => app.das.sessions.size === 1)
  t.equal(app.services.connections.slowConsumersClosed, 1)
  for (let i = 0; i < 8; i++) t.equal((await reader.next('radio_message')).i, i, 'the reading client got everything')
  t.ok(reader.connected)
})
