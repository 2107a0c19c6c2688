import t from 'tap'
import { request, sharedClusterOverrides, TEST_API_KEY } from '../../helpers/app.js'
import { ADMIN } from '../../helpers/config.js'
import { eventually } from '../../helpers/ws-client.js'
import { authed, connect, error, events, rpc, syscacheApp } from './helpers.js'

const legacy = (name: string, args: unknown) => ({ namespace: 'events', name: 'event', id: '', args: { name, args } })

t.test('two nodes sharing Redis and PostgreSQL', async (t) => {
  const shared = await sharedClusterOverrides(t)
  const one = await syscacheApp(t, {}, shared)
  const two = await syscacheApp(t, {}, shared)

  t.test('a token issued on one node is accepted on the other', async (t) => {
    const { token } = await authed(t, one)
    const there = await connect(t, two)
    t.same(await there.request(rpc('auth_token', { token }, 'x')), { namespace: 'rpc', name: 'response', id: 'x', args: [token, 300] })
    t.equal((await there.request(rpc('query', {}, 'q'))).name, 'response')
  })

  t.test('events published on one node reach subscribers and replay on the other', async (t) => {
    await request(one.url, 'POST', '/api/syscache/events/life-preserver', { apiKey: TEST_API_KEY, body: { message: 'snap', priority: '1/info', class: 'snapshot' } })
    const { client } = await authed(t, two)
    await client.request(events('subscribe', ['life-preserver', 'dispatcher']))
    t.same(await client.json(), legacy('life-preserver', { message: 'snap', priority: '1/info', class: 'snapshot' }), 'replayed from the shared store')
    await request(one.url, 'POST', '/api/syscache/events/dispatcher', { apiKey: TEST_API_KEY, body: { state: 'running', process_id: 'p9' } })
    t.same(await client.json(), legacy('dispatcher', { state: 'running', process_id: 'p9' }), 'live across nodes')
  })

  t.test('auth_clear on one node logs out the token on the other', async (t) => {
    const here = await authed(t, one)
    const there = await connect(t, two)
    await there.request(rpc('auth_token', { token: here.token }))
    await there.request(events('subscribe', ['system-state']))
    here.client.send(rpc('auth_clear', 'junk argument'))
    await eventually(() => two.app.services.hub.subscriberCount('syscache:event:system-state') === 0, 2000, 'remote subscription dropped')
    t.same(await there.request(rpc('query', {}, 'q')), error('q', 401, 'Unauthorized'))
    const again = await connect(t, two)
    t.same(await again.request(rpc('auth', ADMIN, 'a')).then((r) => r.name), 'response', 'a fresh login still works')
  })
})

t.test('removing a user on one node logs its connections out on the other', async (t) => {
  const shared = await sharedClusterOverrides(t)
  const one = await syscacheApp(t, {}, shared)
  const two = await syscacheApp(t, {}, shared)
  const { client } = await authed(t, two, { username: 'alice', password: 'alice-pass' })
  await client.request(events('subscribe', ['dispatcher']))
  t.equal((await request(one.url, 'DELETE', '/api/admin/users/alice', { apiKey: TEST_API_KEY })).status, 204)
  await eventually(() => two.app.services.hub.subscriberCount('syscache:event:dispatcher') === 0, 2000, 'subscription dropped')
  t.same(await client.request(rpc('query', {}, 'q')), error('q', 401, 'Unauthorized'))
})
