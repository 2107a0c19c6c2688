import { createServer } from 'node:http'
import t from 'tap'
import { verifySignature } from '../../../src/core/backend/signature.js'
import { startApp } from '../../helpers/app.js'
import { eventually } from '../../helpers/ws-client.js'

const SECRET = 'a-backend-secret-of-32-bytes-!!!'

t.test('the app wires the config: rules, the hook with its timeout and cacheTtl, signed backend calls', async (t) => {
  const calls: Array<{ path: string, signed: boolean, body: Record<string, unknown> }> = []
  const server = createServer((req, res) => {
    let raw = ''
    req.on('data', (c) => { raw += c })
    req.on('end', () => {
      const body = JSON.parse(raw) as Record<string, unknown>
      calls.push({ path: req.url!, signed: verifySignature(SECRET, req.headers['x-switchboard-timestamp'] as string, raw, req.headers['x-switchboard-signature'] as string), body })
      if (body.resource === 'slow') return // never answers (the teardown closes the connection)
      res.writeHead(200, { 'content-type': 'application/json' }).end(req.url === '/authorize' ? '{"allow":true}' : '{"done":true}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise((resolve) => {
    server.closeAllConnections()
    server.close(resolve)
  }))
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`
  const { app } = await startApp(t, {
    backend: { secret: SECRET },
    users: [{ username: 'kim', password: 'kim-pass', email: null, admin: false, roles: ['ops'] }],
    access: {
      rules: [{ protocol: 'telegraphy', resource: 'ops.*', actions: ['subscribe'], allow: ['role:ops'] }],
      authorizeUrl: `${base}/authorize`,
      cacheTtl: 300,
      timeout: 1000,
    },
  })
  const { access } = app.services
  const kim = { kind: 'user' as const, username: 'kim', admin: false }
  t.equal(access.authorize({ protocol: 'telegraphy', action: 'subscribe', resource: 'ops.x', principal: kim, connectionId: 'c' }), true, 'a config user\'s roles count')
  t.equal(access.authorize({ protocol: 'telegraphy', action: 'subscribe', resource: 'ops.x', principal: null, connectionId: 'c' }), false)

  const ask = () => access.authorize({ protocol: 'das', action: 'subscribe', resource: 'new_event', principal: kim, connectionId: 'c' })
  t.equal(await ask(), true)
  t.match(calls, [{ path: '/authorize', signed: true, body: { protocol: 'das', user: 'kim', roles: ['ops'] } }])
  t.equal(ask(), true, 'answered from the cache')
  // cacheTtl is 300 ms: the question is asked again once it has passed.
  await eventually(async () => { await ask(); return calls.length === 2 }, 2000, 'asked again after cacheTtl')

  t.equal(await access.authorize({ protocol: 'das', action: 'subscribe', resource: 'slow', principal: kim, connectionId: 'c' }), false, 'past access.timeout: denied')

  t.same(await app.services.backend(`${base}/backend`).call({ protocol: 'syscache', name: 'a/b', data: null, user: 'kim', connectionId: 'c' }), { kind: 'ok', result: { done: true } })
  t.match(calls.at(-1), { path: '/backend', signed: true }, 'backend calls are signed with backend.secret')
})
