import t from 'tap'
import { login, request, startApp, TEST_API_KEY } from '../../helpers/app.js'
import { ADMIN, ALICE } from '../../helpers/config.js'
import { eventually } from '../../helpers/ws-client.js'
import { connected, open, subscribe, telegraphyOverrides } from './helpers.js'
import { QUIET_LOCAL } from '../../helpers/quiet.js'

async function connectWith (wsUrl: string, authToken: string) {
  const client = await open(wsUrl)
  return { client, reply: await client.request({ message: 'CONNECT', id: 0, args: { auth_token: authToken } }) }
}

t.test('POST /api/telegraphy/auth-tokens', async (t) => {
  const { url, wsUrl } = await startApp(t, telegraphyOverrides({ authTokenTtl: 1500 }))
  const alice = await login(url, ALICE)
  const admin = await login(url, ADMIN)
  const path = '/api/telegraphy/auth-tokens'

  const own = await request(url, 'POST', path, { token: alice })
  t.equal(own.status, 201)
  t.same(Object.keys(own.body).sort(), ['auth_token', 'expires_in'])
  t.equal(own.body.expires_in, 1.5, 'seconds')
  t.equal((await request(url, 'POST', path, { token: alice, body: { username: 'alice' } })).status, 201, 'naming itself')
  t.equal((await request(url, 'POST', path, { token: alice, body: { username: 'admin' } })).status, 403, 'a user may not ask for another')
  t.equal((await request(url, 'POST', path)).status, 401, 'no credentials')
  t.equal((await request(url, 'POST', path, { token: 'garbage' })).status, 401, 'bad bearer')
  t.equal((await request(url, 'POST', path, { apiKey: 'wrong-key-123' })).status, 401, 'bad API key')
  t.equal((await request(url, 'POST', path, { apiKey: TEST_API_KEY })).status, 400, 'a service must name the user')
  t.equal((await request(url, 'POST', path, { apiKey: TEST_API_KEY, body: { username: 'nobody' } })).status, 404, 'unknown user')
  t.equal((await request(url, 'POST', path, { apiKey: TEST_API_KEY, body: { username: 'bad name!' } })).status, 400, 'bad username')
  const forAlice = await request(url, 'POST', path, { apiKey: TEST_API_KEY, body: { username: 'alice' } })
  t.equal(forAlice.status, 201, 'a service asks for any user')
  const adminForAlice = await request(url, 'POST', path, { token: admin, body: { username: 'alice' } })
  t.equal(adminForAlice.status, 201, 'an admin asks for any user')
  const adminSelf = await request(url, 'POST', path, { token: admin })
  t.equal(adminSelf.status, 201, 'an admin without a body gets its own')

  for (const token of [own.body.auth_token, forAlice.body.auth_token, adminForAlice.body.auth_token, adminSelf.body.auth_token]) {
    const { reply } = await connectWith(wsUrl, token)
    t.match(reply, { status: 'CONNECTED' })
  }
  const reused = await connectWith(wsUrl, own.body.auth_token)
  t.match(reused.reply, { status: 'INVALID_TOKEN' })
  await reused.client.closed()
})

t.test('a token issued for a user who is removed before CONNECT is refused', async (t) => {
  const { url, wsUrl } = await startApp(t, telegraphyOverrides())
  const created = await request(url, 'POST', '/api/admin/users', { apiKey: TEST_API_KEY, body: { username: 'bob', password: 'bob-pass-123' } })
  t.equal(created.status, 201)
  const issued = await request(url, 'POST', '/api/telegraphy/auth-tokens', { apiKey: TEST_API_KEY, body: { username: 'bob' } })
  t.equal((await request(url, 'DELETE', '/api/admin/users/bob', { apiKey: TEST_API_KEY })).status, 204)
  const { client, reply } = await connectWith(wsUrl, issued.body.auth_token)
  t.match(reply, { status: 'INVALID_TOKEN' })
  await client.closed()
})

t.test('removing a user ends its live and its dropped sessions', async (t) => {
  const { app, url, wsUrl } = await startApp(t, telegraphyOverrides())
  t.equal((await request(url, 'POST', '/api/admin/users', { apiKey: TEST_API_KEY, body: { username: 'carol', password: 'carol-pass-123' } })).status, 201)
  const carol = { username: 'carol', password: 'carol-pass-123' }
  const live = await connected(url, wsUrl, { user: carol })
  const dropped = await connected(url, wsUrl, { user: carol })
  const other = await connected(url, wsUrl)
  await subscribe(live.client, 1, { event_name: 'demo.Item' })
  await subscribe(dropped.client, 1, { event_name: 'demo.Item' })
  await subscribe(other.client, 1, { event_name: 'demo.Item' })
  dropped.client.close()
  await eventually(async () => (await app.services.store.get(`telegraphy:session:${dropped.sessionToken}`)) !== null, 2000, 'session kept')

  t.equal((await request(url, 'DELETE', '/api/admin/users/carol', { apiKey: TEST_API_KEY })).status, 204)
  await live.client.closed()
  await eventually(() => app.services.hub.subscriberCount('telegraphy:demo.Item') === 1, 2000, 'only the other session is subscribed')
  const back = await open(wsUrl)
  t.match(await back.request({ message: 'RECONNECT', id: 1, session_token: dropped.sessionToken }), { status: 'INVALID_SESSION' })
  await back.closed()
  t.equal(other.client.closeInfo, null, 'other users keep their sessions')
})

t.test('GET /telegraphy/get_token/ (upstream-compatible)', async (t) => {
  const { url, wsUrl } = await startApp(t, telegraphyOverrides())
  const alice = await login(url, ALICE)
  const { status, body } = await request(url, 'GET', '/telegraphy/get_token/', { token: alice })
  t.equal(status, 200)
  t.same(Object.keys(body), ['auth_token'])
  t.match((await connectWith(wsUrl, body.auth_token)).reply, { status: 'CONNECTED' })
  t.equal((await request(url, 'GET', '/telegraphy/get_token/')).status, 401)
  t.equal((await request(url, 'GET', '/telegraphy/get_token/', { apiKey: TEST_API_KEY })).status, 401, 'API keys are for services, this view is per user')
})

t.test('POST /api/telegraphy/events', async (t) => {
  const { url, wsUrl } = await startApp(t, telegraphyOverrides())
  const path = '/api/telegraphy/events'
  const alice = await login(url, ALICE)
  const admin = await login(url, ADMIN)
  const { client } = await connectWith(wsUrl, (await request(url, 'POST', '/api/telegraphy/auth-tokens', { token: alice })).body.auth_token)
  await subscribe(client, 1, { event_name: 'demo.Item' })

  t.equal((await request(url, 'POST', path, { body: { name: 'demo.Item', data: {} } })).status, 401)
  t.equal((await request(url, 'POST', path, { token: alice, body: { name: 'demo.Item', data: {} } })).status, 403, 'not for plain users')
  t.equal((await request(url, 'POST', path, { apiKey: TEST_API_KEY, body: { name: 'demo.Item' } })).status, 400, 'data is required')
  t.equal((await request(url, 'POST', path, { apiKey: TEST_API_KEY, body: { name: '', data: {} } })).status, 400, 'name is required')
  t.equal((await request(url, 'POST', path, { apiKey: TEST_API_KEY, body: { name: 'demo.Item', data: [1] } })).status, 400, 'data is an object')
  await client.expectNothing(QUIET_LOCAL)

  const sent = await request(url, 'POST', path, { apiKey: TEST_API_KEY, body: { name: 'demo.Item', meta: { event_type: 'update', extra: 1 }, data: { id: 9 } } })
  t.same([sent.status, sent.body], [202, { emitted: true }])
  t.match(await client.json(), { event: 'demo.Item', name: 'demo.Item', meta: { event_type: 'update', verbose_name: 'demo.Item', extra: 1, timestamp: String }, data: { id: 9 } })
  const byAdmin = await request(url, 'POST', path, { token: admin, body: { name: 'demo.Item', meta: null, data: { id: 10 } } })
  t.equal(byAdmin.status, 202, 'an admin bearer is a service')
  t.match(await client.json(), { meta: { event_type: 'custom' }, data: { id: 10 } })
})
