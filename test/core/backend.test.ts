import { createHmac, timingSafeEqual } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import t from 'tap'
import { createBackend } from '../../src/core/backend/backend.js'
import { signatureHeaders, verifySignature } from '../../src/core/backend/signature.js'

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

t.test('another 4xx is a rejection carrying the status and the answer', async (t) => {
  const url = await backendServer(t, (req, res) => {
    const status = Number(req.url!.slice(1))
    if (status === 422) res.writeHead(422, { 'content-type': 'application/json' }).end('{"field":"name"}')
    else if (status === 409) res.writeHead(409).end('taken')
    else res.writeHead(status).end()
  })
  const call = (status: number) => createBackend(`${url}${status}`, 1000).call(request)
  t.same(await call(400), { kind: 'rejected', status: 400 })
  t.same(await call(422), { kind: 'rejected', status: 422, body: { field: 'name' } })
  t.same(await call(409), { kind: 'rejected', status: 409, body: 'taken' })
  t.same(await call(429), { kind: 'rejected', status: 429 })
  t.same(await call(404), { kind: 'unknown' }, '404 and 403 keep their kinds')
  t.same(await call(403), { kind: 'refused' })
  t.same(await call(503), { kind: 'failed', reason: 'status 503' })
})

// README "Authorization", verbatim but for the types.
function fromSwitchboard (headers: Record<string, string>, rawBody: string, secret: string) {
  const ts = headers['x-switchboard-timestamp'], sig = Buffer.from(headers['x-switchboard-signature'] ?? '', 'hex')
  const expected = createHmac('sha256', secret).update(`${ts}.${rawBody}`).digest()
  return Math.abs(Date.now() / 1000 - Number(ts)) < 300 && sig.length === expected.length && timingSafeEqual(sig, expected)
}

t.test('with backend.secret every call is signed; a test backend verifies it as the README does', async (t) => {
  const secret = 'a-backend-secret-of-32-bytes-!!!'
  const verdicts: Array<{ signed: boolean, headers: boolean }> = []
  const url = await backendServer(t, (req, res) => {
    let body = ''
    req.on('data', (c) => { body += c })
    req.on('end', () => {
      const timestamp = req.headers['x-switchboard-timestamp'] as string | undefined
      const signature = req.headers['x-switchboard-signature'] as string | undefined
      const signed = fromSwitchboard(req.headers as Record<string, string>, body, secret)
      verdicts.push({ signed, headers: timestamp !== undefined && signature !== undefined })
      t.equal(verifySignature(secret, timestamp, body, signature), signed, 'verifySignature agrees')
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    })
  })
  t.same(await createBackend(url, 1000, secret).call(request), { kind: 'ok', result: {} })
  t.same(await createBackend(url, 1000, 'another-secret-of-32-bytes-long!!').call(request), { kind: 'ok', result: {} })
  t.same(await createBackend(url, 1000).call(request), { kind: 'ok', result: {} })
  t.same(verdicts, [{ signed: true, headers: true }, { signed: false, headers: true }, { signed: false, headers: false }])
})

t.test('verifySignature refuses a changed body, an old or malformed timestamp, a wrong length', async (t) => {
  const secret = 'a-backend-secret-of-32-bytes-!!!'
  const now = Date.now()
  const headers = signatureHeaders(secret, '{"a":1}', now)
  const timestamp = headers['x-switchboard-timestamp']
  const signature = headers['x-switchboard-signature']
  t.match(signature, /^[0-9a-f]{64}$/)
  t.equal(verifySignature(secret, timestamp, '{"a":1}', signature, { nowMs: now }), true)
  t.equal(verifySignature(secret, timestamp, '{"a":2}', signature, { nowMs: now }), false)
  t.equal(verifySignature(secret, timestamp, '{"a":1}', signature, { nowMs: now + 301_000 }), false, 'replayed five minutes later')
  t.equal(verifySignature(secret, `${timestamp}.5`, '{"a":1}', signature, { nowMs: now }), false)
  t.equal(verifySignature(secret, timestamp, '{"a":1}', signature.slice(2), { nowMs: now }), false)
  t.equal(verifySignature(secret, undefined, '{"a":1}', signature), false)
})
