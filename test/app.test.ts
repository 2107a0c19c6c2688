import t from 'tap'
import { buildApp } from '../src/app.js'
import { sharedClusterOverrides, login, request, startApp } from './helpers/app.js'
import { testConfig } from './helpers/config.js'
import { Collector } from './core/hub/hub-contract.js'

t.test('two app instances sharing Redis and PostgreSQL act as one cluster', async (t) => {
  const shared = await sharedClusterOverrides(t)
  const a = await startApp(t, shared)
  const b = await startApp(t, shared)
  const onB = new Collector()
  await b.app.services.hub.subscribe('test:room', onB)
  await a.app.services.hub.publish('test:room', { hello: 'from A' })
  await onB.waitFor(1)
  t.same(onB.data, [{ hello: 'from A' }])

  // Durable and ephemeral state are shared too: a refresh token issued on A is used on B, once.
  const pair = (await request(a.url, 'POST', '/api/auth/login', { body: { username: 'alice', password: 'alice-pass' } })).body
  t.equal((await request(b.url, 'GET', '/api/auth/me', { token: pair.access_token })).status, 200)
  t.equal((await request(b.url, 'POST', '/api/auth/refresh', { body: { refresh_token: pair.refresh_token } })).status, 200)
  t.equal((await request(a.url, 'POST', '/api/auth/refresh', { body: { refresh_token: pair.refresh_token } })).status, 401)
  const admin = await login(a.url)
  t.equal((await request(a.url, 'POST', '/api/admin/users', { token: admin, body: { username: 'dave', password: 'dave-pass' } })).status, 201)
  t.equal((await request(b.url, 'POST', '/api/auth/login', { body: { username: 'dave', password: 'dave-pass' } })).status, 200)
  t.same((await request(a.url, 'GET', '/ready')).body, { ready: true })
})

t.test('readiness reports an unreachable Redis', async (t) => {
  const { url } = await startApp(t, { storage: { redis: 'redis://127.0.0.1:1' } })
  const ready = await request(url, 'GET', '/ready')
  t.equal(ready.status, 503)
  t.same(ready.body.unavailable, ['store', 'broker'])
  t.equal((await request(url, 'GET', '/health')).status, 200, 'still alive')
})

t.test('without a jwtSecret: random secret outside production, refusal in production', async (t) => {
  const config = testConfig({ auth: { jwtSecret: null } })
  const app = await buildApp(config, { logger: false })
  await app.close()
  const before = process.env.NODE_ENV
  process.env.NODE_ENV = 'production'
  t.teardown(() => { process.env.NODE_ENV = before })
  await t.rejects(buildApp(config, { logger: false }), /jwtSecret/)
})

t.test('a database that cannot be opened fails start-up cleanly', async (t) => {
  await t.rejects(buildApp(testConfig({ storage: { database: 'postgres://postgres@127.0.0.1:1/none' } }), { logger: false }))
})
