import t from 'tap'
import { request } from '../helpers/app.js'
import { PrivateRedis, startCluster, waitUntil } from './harness.js'

t.test('Redis restarted under a running cluster: local service continues, /ready reports it, nodes recover', async (t) => {
  const redis = await PrivateRedis.start(t)
  const [a, b] = await startCluster(t, 2, { redisUrl: redis.url })

  const login = async (url: string) => (await request(url, 'POST', '/api/auth/login', { body: { username: 'alice', password: 'alice-pass' } }))
  const before = await login(a.url)
  t.equal(before.status, 200)
  t.equal((await request(b.url, 'POST', '/api/auth/refresh', { body: { refresh_token: before.body.refresh_token } })).status, 200, 'refresh token from A used on B')

  await redis.stop()
  await waitUntil('A reports Redis down', async () => (await request(a.url, 'GET', '/ready')).status === 503, 10_000)
  const down = await request(a.url, 'GET', '/ready')
  t.same(down.body.unavailable, ['store', 'broker'])
  t.equal((await request(a.url, 'GET', '/health')).status, 200, 'still alive')
  const meWhileDown = await request(b.url, 'GET', '/api/auth/me', { token: before.body.access_token })
  t.equal(meWhileDown.status, 503, 'checks that need the store fail closed, and say why')

  await redis.restart()
  await waitUntil('A ready again', async () => (await request(a.url, 'GET', '/ready')).status === 200, 15_000)
  await waitUntil('B ready again', async () => (await request(b.url, 'GET', '/ready')).status === 200, 15_000)
  const after = await login(b.url)
  t.equal(after.status, 200)
  t.equal((await request(a.url, 'GET', '/api/auth/me', { token: after.body.access_token })).status, 200)
  t.equal((await request(a.url, 'POST', '/api/auth/refresh', { body: { refresh_token: after.body.refresh_token } })).status, 200, 'cross-node state works again')
})

t.test('one node killed: the others keep serving', async (t) => {
  const redis = await PrivateRedis.start(t)
  const [a, b] = await startCluster(t, 2, { redisUrl: redis.url })
  const pair = (await request(a.url, 'POST', '/api/auth/login', { body: { username: 'alice', password: 'alice-pass' } })).body
  await a.kill()
  t.equal((await request(b.url, 'GET', '/ready')).status, 200)
  t.equal((await request(b.url, 'GET', '/api/auth/me', { token: pair.access_token })).status, 200, 'tokens issued by the dead node still work')
  t.equal((await request(b.url, 'POST', '/api/auth/refresh', { body: { refresh_token: pair.refresh_token } })).status, 200)
})
