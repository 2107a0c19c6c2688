import { createServer } from 'node:http'
import t from 'tap'
import { startApp } from '../../helpers/app.js'
import { client, overrides } from '../../plugins/webrocket/fixture.js'
import { scrape } from './scrape.js'

t.test('credential checks past the budget count as throttled', async (t) => {
  const { url, wsUrl } = await startApp(t, { ...overrides(), auth: { throttle: { maxFailuresPerAccount: 100, maxFailuresPerAddress: 1 } } })
  const ws = await client(wsUrl)
  t.ok((await ws.request({ authenticate: { user: 'back', secret: 'wrong' } })).err, 'refused')
  t.ok((await ws.request({ authenticate: { user: 'back', secret: 'read-write-secret' } })).err, 'throttled, right secret or not')
  ws.close()
  const s = await scrape(url)
  t.equal(s.value('switchboard_auth_total', { protocol: 'webrocket', result: 'failure' }), 1)
  t.equal(s.value('switchboard_auth_total', { protocol: 'webrocket', result: 'throttled' }), 1)
  t.equal(s.value('switchboard_auth_total', { protocol: 'webrocket', result: 'success' }), 0)
})

t.test('backend calls: duration by outcome', async (t) => {
  // A trigger backend (README "WebRocket"): 200 for `fine`, 500 for anything else.
  const server = createServer((req, res) => {
    let raw = ''
    req.on('data', (chunk) => { raw += chunk })
    req.on('end', () => res.writeHead((JSON.parse(raw) as { name: string }).name === 'fine' ? 200 : 500, { 'content-type': 'application/json' }).end('{}'))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve) }))
  const { url, wsUrl } = await startApp(t, overrides({ triggerUrl: `http://127.0.0.1:${(server.address() as { port: number }).port}/` }))
  const ws = await client(wsUrl, '/webrocket/echo', 'back', 'read-write-secret')
  t.same(await ws.request({ trigger: { event: 'fine' } }), { triggered: 'fine' })
  t.same(await ws.request({ trigger: { event: 'fine' } }), { triggered: 'fine' })
  t.ok((await ws.request({ trigger: { event: 'broken' } })).err, 'a failing backend')
  ws.close()
  const s = await scrape(url)
  const name = 'switchboard_backend_call_duration_seconds'
  t.equal(s.value(`${name}_count`, { protocol: 'webrocket', outcome: 'ok' }), 2)
  t.equal(s.value(`${name}_count`, { protocol: 'webrocket', outcome: 'failed' }), 1)
  t.equal(s.value(`${name}_bucket`, { protocol: 'webrocket', outcome: 'ok', le: '+Inf' }), 2)
  t.ok(s.value(`${name}_sum`, { protocol: 'webrocket', outcome: 'ok' }) > 0, 'durations measured')
})

t.test('no backend configured: nothing measured', async (t) => {
  const { url, wsUrl } = await startApp(t, overrides())
  const ws = await client(wsUrl, '/webrocket/echo', 'back', 'read-write-secret')
  t.same(await ws.request({ trigger: { event: 'x' } }), { err: 'ASSIGNATION_FAILED' })
  ws.close()
  t.notOk((await scrape(url)).has('switchboard_backend_call_duration_seconds_count'))
})
