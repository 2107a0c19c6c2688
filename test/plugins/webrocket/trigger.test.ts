import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { startApp } from '../../helpers/app.js'
import { type Teardown, client, overrides } from './fixture.js'

// `trigger` (spec §2.8 decision): WRITE, then forwarded to the core Backend at triggerUrl.

interface Received { body: Record<string, unknown> }

/** A local backend answering each request with `answer(body)` → [status, body]. */
async function backend (t: Teardown, answer: (body: Record<string, unknown>) => [number, string]): Promise<{ url: string, received: Received[] }> {
  const received: Received[] = []
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let text = ''
    req.on('data', (c: Buffer) => { text += c.toString() })
    req.on('end', () => {
      const body = JSON.parse(text) as Record<string, unknown>
      received.push({ body })
      const [status, reply] = answer(body)
      res.writeHead(status, { 'content-type': 'application/json' }).end(reply)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/trigger`, received }
}

t.test('accepted, refused (403), rejected (another 4xx), unknown event (404), failing backend', async (t) => {
  const { url, received } = await backend(t, (body) => {
    switch (body.name) {
      case 'refused': return [403, '']
      case 'invalid': return [400, '{"error":"bad data"}']
      case 'conflict': return [409, '']
      case 'unknown': return [404, '']
      case 'broken': return [500, '']
      default: return [200, '{"ignored":true}']
    }
  })
  const { wsUrl } = await startApp(t, overrides({ triggerUrl: url }))
  const front = await client(wsUrl, '/webrocket/echo', 'front', 'read-secret')
  t.same(await front.request({ trigger: { event: 'hello' } }), { err: 'ACCESS_DENIED' }, 'READ is not enough')
  t.same(await front.request({ trigger: 'invalid' }), { err: 'ACCESS_DENIED' }, 'permission checked before payload')
  const back = await client(wsUrl, '/webrocket/echo', 'back', 'read-write-secret')
  t.same(await back.request({ trigger: 'invalid' }), { err: 'INVALID_PAYLOAD' })
  t.same(await back.request({ trigger: { data: 1 } }), { err: 'INVALID_EVENT_NAME' })
  t.same(await back.request({ trigger: { event: '' } }), { err: 'INVALID_EVENT_NAME' })
  t.same(await back.request({ trigger: { event: 3 } }), { err: 'INVALID_EVENT_NAME' })
  t.equal(received.length, 0, 'nothing invalid reached the backend')

  t.same(await back.request({ trigger: { event: 'hello', data: { x: 1 } } }), { triggered: 'hello' })
  t.equal(received.length, 1)
  t.match(received[0].body, { protocol: 'webrocket', name: 'hello', data: { x: 1 }, user: 'back', vhost: '/echo', connectionId: String })
  t.same(await back.request({ trigger: { event: 'nodata' } }), { triggered: 'nodata' })
  t.equal(received[1].body.data, null, 'absent data is sent as null')

  t.same(await back.request({ trigger: { event: 'refused' } }), { err: 'ACCESS_DENIED' })
  t.same(await back.request({ trigger: { event: 'invalid' } }), { err: 'TRIGGER_REJECTED', status: 400 }, 'another 4xx: its status reaches the client (issue 16)')
  t.same(await back.request({ trigger: { event: 'conflict' } }), { err: 'TRIGGER_REJECTED', status: 409 })
  t.same(await back.request({ trigger: { event: 'unknown' } }), { err: 'ASSIGNATION_FAILED' })
  t.same(await back.request({ trigger: { event: 'broken' } }), { err: 'ASSIGNATION_FAILED' })
  front.close()
  back.close()
})

t.test('no backend configured, or unreachable: ASSIGNATION_FAILED', async (t) => {
  const none = await startApp(t, overrides())
  const ws = await client(none.wsUrl, '/webrocket/echo', 'back', 'read-write-secret')
  t.same(await ws.request({ trigger: { event: 'hello' } }), { err: 'ASSIGNATION_FAILED' })
  ws.close()

  // A port that was just free: nothing listens there.
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const port = (probe.address() as AddressInfo).port
  await new Promise<void>((resolve) => probe.close(() => resolve()))
  const down = await startApp(t, overrides({ triggerUrl: `http://127.0.0.1:${port}/` }))
  const ws2 = await client(down.wsUrl, '/webrocket/echo', 'back', 'read-write-secret')
  t.same(await ws2.request({ trigger: { event: 'hello' } }), { err: 'ASSIGNATION_FAILED' })
  ws2.close()
})

t.test('a slow trigger does not hold up the frames after it', async (t) => {
  let release: () => void = () => {}
  const held = new Promise<void>((resolve) => { release = resolve })
  const server = createServer((req, res) => {
    req.resume()
    req.on('end', () => { held.then(() => res.writeHead(200).end('null'), () => {}) })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => { release(); server.close(() => resolve()) }))
  const { wsUrl } = await startApp(t, overrides({ triggerUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` }))
  const ws = await client(wsUrl, '/webrocket/echo', 'back', 'read-write-secret')
  ws.send({ trigger: { event: 'slow' } })
  t.same(await ws.request({ subscribe: { channel: 'c' } }), { subscribed: 'c' })
  release()
  t.same(await ws.json(), { triggered: 'slow' })
  ws.close()
})
