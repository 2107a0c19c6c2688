import { createServer, type Server } from 'node:http'
import t from 'tap'
import { createBackend } from '../../src/core/backend/backend.js'

async function backendServer (t: { teardown (fn: () => unknown): void }, handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server: Server = createServer(handler)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise((resolve) => server.close(resolve)))
  return `http://127.0.0.1:${(server.address() as { port: number }).port}/`
}

const request = { protocol: 'syscache', name: 'sysadm/pkg', data: { action: 'list' }, user: 'ann', connectionId: 'c1' }

t.test('no URL means no worker', async (t) => {
  const backend = createBackend(null, 1000)
  t.equal(backend.configured, false)
  t.same(await backend.call(request), { kind: 'none' })
})

t.test('replies map to ok / unknown / refused / failed', async (t) => {
  const seen: unknown[] = []
  const url = await backendServer(t, (req, res) => {
    let body = ''
    req.on('data', (c) => { body += c })
    req.on('end', () => {
      const parsed = JSON.parse(body)
      seen.push(parsed)
      const status = ({ ok: 200, empty: 204, unknown: 404, refused: 403, broken: 500, notjson: 200 } as Record<string, number>)[parsed.data.mode]
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(parsed.data.mode === 'notjson' ? '<html>' : parsed.data.mode === 'empty' ? '' : JSON.stringify({ echoed: parsed.name }))
    })
  })
  const backend = createBackend(url, 1000)
  t.equal(backend.configured, true)
  const call = (mode: string) => backend.call({ ...request, data: { mode } })
  t.same(await call('ok'), { kind: 'ok', result: { echoed: 'sysadm/pkg' } })
  t.same(await call('empty'), { kind: 'ok', result: null })
  t.same(await call('unknown'), { kind: 'unknown' })
  t.same(await call('refused'), { kind: 'refused' })
  t.same(await call('broken'), { kind: 'failed', reason: 'status 500' })
  t.same(await call('notjson'), { kind: 'failed', reason: 'reply is not JSON' })
  t.match(seen[0], { protocol: 'syscache', name: 'sysadm/pkg', user: 'ann', connectionId: 'c1' })
})

t.test('timeouts and unreachable backends fail', async (t) => {
  const url = await backendServer(t, () => { /* never answers */ })
  t.same(await createBackend(url, 50).call(request), { kind: 'failed', reason: 'timeout' })
  t.same(await createBackend('http://127.0.0.1:1/', 1000).call(request), { kind: 'failed', reason: 'unreachable' })
})
