import t from 'tap'
import { login, request, startApp, TEST_API_KEY } from '../helpers/app.js'
import { ALICE } from '../helpers/config.js'
import { PrivateRedis } from '../cluster/harness.js'
import { eventually, WsClient } from '../helpers/ws-client.js'
import { connected, open, subscribe, telegraphyOverrides } from '../plugins/telegraphy/helpers.js'

// The connections API and presence on one node (in-process store and broker): credentials,
// bad input, the access rules for a user's bearer token, a disabled presence, Redis away.

const apiKey = TEST_API_KEY

async function joe (t: { teardown (fn: () => unknown): void }, wsUrl: string, channel: string): Promise<WsClient> {
  const client = await WsClient.connect(`${wsUrl}/webrocket/echo`)
  t.teardown(() => client.close())
  await client.request({ authenticate: { user: 'joe', secret: 's3cret' } })
  await client.request({ subscribe: { channel } })
  return client
}

t.test('service credentials only; bad input is a 400', async (t) => {
  const { url } = await startApp(t)
  const alice = await login(url, ALICE)
  for (const [method, path] of [['GET', '/api/connections'], ['DELETE', '/api/connections/x'], ['DELETE', '/api/users/alice/connections']]) {
    t.equal((await request(url, method, path)).status, 401, `${method} ${path} without credentials`)
    t.equal((await request(url, method, path, { token: alice })).status, 403, `${method} ${path} as a user`)
  }
  for (const query of ['limit=0', 'limit=1001', 'limit=abc', 'limit=-1', 'protocol=gopher', 'cursor=']) {
    t.equal((await request(url, 'GET', `/api/connections?${query}`, { apiKey })).status, 400, query)
  }
  t.equal((await request(url, 'GET', '/api/presence/gopher/x', { apiKey })).status, 400, 'unknown protocol')
  t.equal((await request(url, 'DELETE', '/api/connections/nobody', { apiKey })).status, 404, 'unknown id')
  t.same((await request(url, 'DELETE', '/api/users/nobody/connections', { apiKey })).body, { closed: 0, incomplete: false, missingNodes: [] })
  t.same((await request(url, 'GET', '/api/connections', { apiKey })).body, { connections: [], nextCursor: null, incomplete: false, missingNodes: [] })
})

t.test('one node: listed with traffic and subscriptions, present, closed', async (t) => {
  const { url, wsUrl } = await startApp(t)
  const client = await joe(t, wsUrl, 'news')
  const list = await request(url, 'GET', '/api/connections?protocol=webrocket&user=joe', { apiKey })
  t.match(list.body, { connections: [{ protocol: 'webrocket', user: 'joe', subscriptions: ['/echo/news'], framesIn: 2, framesOut: 2 }], incomplete: false })
  t.same((await request(url, 'GET', '/api/connections?protocol=syscache', { apiKey })).body.connections, [], 'filtered by protocol')
  const { id } = list.body.connections[0]
  t.same((await request(url, 'GET', '/api/presence/webrocket/%2Fecho%2Fnews', { apiKey })).body, {
    protocol: 'webrocket', channel: '/echo/news', users: ['joe'], connections: [{ id, user: 'joe', node: list.body.connections[0].node }],
  })
  // A WebRocket logout leaves its channels with the socket open.
  t.same(await client.request({ logout: {} }), { loggedOut: true })
  await eventually(async () => (await request(url, 'GET', '/api/presence/webrocket/%2Fecho%2Fnews/stats', { apiKey })).body.connections === 0, 2000, 'left at logout')
  t.same(await client.request({ authenticate: { user: 'joe', secret: 's3cret' } }), { authenticated: 'joe' })
  t.same(await client.request({ subscribe: { channel: 'news' } }), { subscribed: 'news' })
  await eventually(async () => (await request(url, 'GET', '/api/presence/webrocket/%2Fecho%2Fnews/stats', { apiKey })).body.connections === 1, 2000, 'back')
  t.equal((await request(url, 'DELETE', `/api/connections/${id}`, { apiKey })).status, 204)
  t.equal((await client.closed()).code, 1008)
  await eventually(async () => (await request(url, 'GET', '/api/presence/webrocket/%2Fecho%2Fnews/stats', { apiKey })).body.connections === 0, 2000, 'presence empty')
})

t.test('a user\'s bearer token asks presence only where the rules let it subscribe', async (t) => {
  const { url } = await startApp(t, {
    access: {
      defaults: { telegraphy: 'deny' },
      rules: [{ protocol: 'telegraphy', resource: 'open.*', actions: ['subscribe'], allow: ['user:alice'] }],
    },
  })
  const alice = await login(url, ALICE)
  t.equal((await request(url, 'GET', '/api/presence/telegraphy/open.news', { token: alice })).status, 200, 'allowed by a rule')
  t.equal((await request(url, 'GET', '/api/presence/telegraphy/open.news/stats', { token: alice })).status, 200)
  t.equal((await request(url, 'GET', '/api/presence/telegraphy/closed.news', { token: alice })).status, 403, 'denied by the defaults')
  t.equal((await request(url, 'GET', '/api/presence/syscache/dispatcher', { token: alice })).status, 200, 'syscache open to everyone')
  t.equal((await request(url, 'GET', '/api/presence/das/%2Fdas', { token: alice })).status, 403, 'DAS: services only')
  t.equal((await request(url, 'GET', '/api/presence/das/%2Fdas', { apiKey })).status, 200)
  t.equal((await request(url, 'GET', '/api/presence/telegraphy/closed.news')).status, 401)
})

t.test('presence disabled: 404, and connections list no subscriptions', async (t) => {
  const { url, wsUrl } = await startApp(t, { presence: { enabled: false } })
  await joe(t, wsUrl, 'news')
  t.equal((await request(url, 'GET', '/api/presence/webrocket/%2Fecho%2Fnews', { apiKey })).status, 404)
  t.match((await request(url, 'GET', '/api/connections', { apiKey })).body.connections, [{ protocol: 'webrocket', subscriptions: [] }])
})

t.test('Redis away: the routes answer 503 store unavailable, sockets keep working', async (t) => {
  const redis = await PrivateRedis.start(t)
  const { url, wsUrl } = await startApp(t, { storage: { redis: redis.url }, presence: { ttl: 1000, heartbeat: 100 }, connections: { timeout: 300 } })
  const client = await joe(t, wsUrl, 'news')
  await eventually(async () => (await request(url, 'GET', '/api/presence/webrocket/%2Fecho%2Fnews/stats', { apiKey })).body.connections === 1, 2000, 'present')
  await redis.stop()
  for (const path of ['/api/presence/webrocket/%2Fecho%2Fnews', '/api/presence/webrocket/%2Fecho%2Fnews/stats', '/api/connections']) {
    const reply = await request(url, 'GET', path, { apiKey })
    t.same([reply.status, reply.body.message], [503, 'store unavailable'], path)
  }
  // Presence writes while Redis is away do not hold the socket up.
  t.same(await client.request({ unsubscribe: { channel: 'news' } }), { unsubscribed: 'news' })
  t.same(await client.request({ subscribe: { channel: 'other' } }), { subscribed: 'other' })
  await redis.restart()
  await eventually(async () => {
    const reply = await request(url, 'GET', '/api/presence/webrocket/%2Fecho%2Fother/stats', { apiKey })
    return reply.status === 200 && reply.body.connections === 1
  }, 5000, 'written again once Redis is back')
  t.equal((await request(url, 'GET', '/api/presence/webrocket/%2Fecho%2Fnews/stats', { apiKey })).body.connections, 0, 'and the left channel is not')
})

t.test('Telegraphy: a dropped session is not present; its RECONNECT is, under the new connection', async (t) => {
  const { url, wsUrl, app } = await startApp(t, telegraphyOverrides())
  const stats = async () => (await request(url, 'GET', '/api/presence/telegraphy/demo.Item', { apiKey })).body
  const { client, sessionToken } = await connected(url, wsUrl)
  t.teardown(() => client.close())
  await subscribe(client, 1, { event_name: 'demo.Item' })
  await eventually(async () => (await stats()).connections.length === 1, 2000, 'present')
  client.close()
  await eventually(async () => (await stats()).connections.length === 0, 2000, 'gone with its socket')
  await eventually(async () => (await app.services.store.get(`telegraphy:session:${sessionToken}`)) !== null, 2000, 'session kept')
  const back = await open(wsUrl)
  t.teardown(() => back.close())
  t.match(await back.request({ message: 'RECONNECT', id: 2, session_token: sessionToken }), { status: 'CONNECTED' })
  await eventually(async () => (await stats()).connections.length === 1, 2000, 'present again')
  t.match(await stats(), { users: ['alice'] })
})
