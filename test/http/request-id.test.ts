import type { IncomingMessage } from 'node:http'
import t from 'tap'
import { WebSocket } from 'ws'
import { request, startApp } from '../helpers/app.js'
import { LogLines } from '../helpers/log-lines.js'
import { DEFAULT_WAIT } from '../helpers/ws-client.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

/** The headers of a WebSocket upgrade's 101. */
function upgradeHeaders (url: string, headers: Record<string, string> = {}): Promise<IncomingMessage['headers']> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers })
    const timer = setTimeout(() => reject(new Error('no upgrade')), DEFAULT_WAIT)
    ws.once('upgrade', (response) => { clearTimeout(timer); resolve(response.headers) })
    ws.once('open', () => ws.close())
    ws.once('error', (err) => { clearTimeout(timer); reject(err) })
  })
}

t.test('a sane X-Request-Id is honoured: echoed and on the request\'s log lines', async (t) => {
  const log = new LogLines()
  const app = await startApp(t, { log: { level: 'info' } }, { logStream: log.stream })
  for (const id of ['abc-123', 'trace.7:span_9-x', 'x'.repeat(128), 'A']) {
    const { headers } = await request(app.url, 'GET', '/health', { headers: { 'x-request-id': id } })
    t.equal(headers.get('x-request-id'), id, `${id.slice(0, 20)} echoed`)
    t.ok(await log.find((line) => line.reqId === id && line.msg === 'request completed'), 'logged with it')
  }
  const notFound = await request(app.url, 'GET', '/no-such-route', { headers: { 'x-request-id': 'missing-1' } })
  t.equal(notFound.status, 404)
  t.equal(notFound.headers.get('x-request-id'), 'missing-1', 'error replies carry it too')
})

t.test('anything else is replaced by a random UUID, and a request without one gets one', async (t) => {
  const app = await startApp(t)
  const seen = new Set<string>()
  for (const given of ['x'.repeat(129), 'has space', 'quote"d', 'semi;colon', '<script>', 'é', undefined]) {
    const { headers } = await request(app.url, 'GET', '/health', { headers: given === undefined ? {} : { 'x-request-id': given } })
    const id = headers.get('x-request-id')!
    t.match(id, UUID, `${JSON.stringify(given)} → a UUID`)
    seen.add(id)
  }
  t.equal(seen.size, 7, 'a new one each time')
})

t.test('WebSocket upgrades echo the id in their 101', async (t) => {
  const app = await startApp(t)
  t.equal((await upgradeHeaders(`${app.wsUrl}/syscache`, { 'x-request-id': 'upgrade-7' }))['x-request-id'], 'upgrade-7')
  t.match((await upgradeHeaders(`${app.wsUrl}/telegraphy`))['x-request-id'], UUID)
  t.match((await upgradeHeaders(`${app.wsUrl}/webrocket/echo`, { 'x-request-id': 'bad id' }))['x-request-id'], UUID)
})
