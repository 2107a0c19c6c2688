import t from 'tap'
import { login, request, TEST_API_KEY } from '../../helpers/app.js'
import { ALICE } from '../../helpers/config.js'
import { eventually } from '../../helpers/ws-client.js'
import { authed, connect, error, events, rpc, syscacheApp } from './helpers.js'
import { QUIET_LOCAL } from '../../helpers/quiet.js'

type App = Awaited<ReturnType<typeof syscacheApp>>
const push = (app: App, type: string, body: unknown) =>
  request(app.url, 'POST', `/api/syscache/events/${type}`, { apiKey: TEST_API_KEY, body })
const legacy = (name: string, args: unknown) => ({ namespace: 'events', name: 'event', id: '', args: { name, args } })
const subscribed = (id: string, args: unknown) => ({ namespace: 'events', name: 'response', id, args })

t.test('subscribe and unsubscribe replies', async (t) => {
  const app = await syscacheApp(t)
  const { client } = await authed(t, app)
  t.same(await client.request(events('subscribe', ['dispatcher'], 'e1')), subscribed('e1', { subscribe: 'dispatcher' }))
  t.same(await client.request(events('subscribe', 'life-preserver', 'e2')), subscribed('e2', { subscribe: 'life-preserver' }), 'a single string')
  t.same(await client.request(events('subscribe', ['system-state', 'bogus'], 'e3')), subscribed('e3', { subscribe: 'system-state' }), 'unknown names skipped')
  t.same(await client.request(events('subscribe', ['bogus'], 'e4')), subscribed('e4', {}), 'none valid: empty args')
  t.same(await client.request(events('subscribe', [], 'e5')), error('e5', 400, 'Bad Request'), 'empty list')
  t.same(await client.request(events('subscribe', 3, 'e6')), error('e6', 400, 'Bad Request'))
  t.same(await client.request(events('subscribe', ['dispatcher', 1], 'e7')), error('e7', 400, 'Bad Request'))
  t.same(await client.request(events('unsubscribe', ['dispatcher', 'system-state'], 'u1')), subscribed('u1', { unsubscribe: 'system-state' }))
  t.same(await client.request(events('unsubscribe', { x: 1 }, 'u2')), error('u2', 400, 'Bad Request'))
  t.equal(app.app.services.hub.subscriberCount('syscache:event:dispatcher'), 0)
  t.equal(app.app.services.hub.subscriberCount('syscache:event:life-preserver'), 1)
})

t.test('events reach only their subscribers, encoded in the legacy format', async (t) => {
  const app = await syscacheApp(t)
  const a = (await authed(t, app)).client
  const b = (await authed(t, app, ALICE)).client
  const c = (await authed(t, app)).client
  await a.request(events('subscribe', ['dispatcher']))
  await b.request(events('subscribe', ['life-preserver']))
  const payload = { state: 'finished', process_id: 'p1' }
  t.equal((await push(app, 'dispatcher', payload)).status, 204)
  t.same(await a.json(), legacy('dispatcher', payload))
  await Promise.all([b.expectNothing(QUIET_LOCAL), c.expectNothing(QUIET_LOCAL)])
  t.equal((await push(app, 'life-preserver', JSON.stringify('plain string payload'))).status, 204)
  t.same(await b.json(), legacy('life-preserver', 'plain string payload'))
  await a.expectNothing(QUIET_LOCAL)
  await a.request(events('unsubscribe', ['dispatcher']))
  await push(app, 'dispatcher', { state: 'pending' })
  await a.expectNothing(QUIET_LOCAL)
})

t.test('subscribing replays the last event of each type named', async (t) => {
  const app = await syscacheApp(t)
  await push(app, 'system-state', { hostname: 'old' })
  await push(app, 'system-state', { hostname: 'box', hostnamechanged: 'true' })
  await push(app, 'dispatcher', null)
  const { client } = await authed(t, app)
  t.same(await client.request(events('subscribe', ['system-state', 'life-preserver'], 's')), subscribed('s', { subscribe: 'life-preserver' }))
  t.same(await client.json(), legacy('system-state', { hostname: 'box', hostnamechanged: 'true' }), 'only the last one')
  await client.expectNothing(QUIET_LOCAL)
  t.same(await client.request(events('subscribe', 'dispatcher', 'd')), subscribed('d', { subscribe: 'dispatcher' }))
  t.same(await client.json(), legacy('dispatcher', null), 'a null payload is an event too')
})

t.test('eventFormat typed: the event type is the frame name', async (t) => {
  const app = await syscacheApp(t, { eventFormat: 'typed' })
  const { client } = await authed(t, app)
  await push(app, 'dispatcher', { state: 'pending', process_id: 'p2' })
  await client.request(events('subscribe', ['dispatcher']))
  t.same(await client.json(), { namespace: 'events', name: 'dispatcher', id: '', args: { state: 'pending', process_id: 'p2' } }, 'replay')
  await push(app, 'dispatcher', [1, 2])
  t.same(await client.json(), { namespace: 'events', name: 'dispatcher', id: '', args: [1, 2] }, 'live')
})

t.test('the frame of one event is encoded once and shared by every subscriber', async (t) => {
  const app = await syscacheApp(t)
  const clients = await Promise.all([1, 2, 3].map(async () => (await authed(t, app)).client))
  for (const client of clients) await client.request(events('subscribe', ['dispatcher']))
  const frames: unknown[] = []
  const spy = { deliver: (message: { frame: (f: string, e: () => unknown) => unknown }) => frames.push(message) }
  await app.app.services.hub.subscribe('syscache:event:dispatcher', spy as never)
  await push(app, 'dispatcher', { n: 1 })
  for (const client of clients) t.same(await client.json(), legacy('dispatcher', { n: 1 }))
  const message = frames[0] as { frame: (format: string, encode: () => never) => unknown }
  t.ok(Buffer.isBuffer(message.frame('syscache:legacy', () => { throw new Error('encoded again') })), 'cached frame reused')
})

t.test('logging out stops events: auth_clear here and on connections sharing the token', async (t) => {
  const app = await syscacheApp(t)
  const { client, token } = await authed(t, app)
  const other = await connect(t, app)
  await other.request(rpc('auth_token', { token }))
  await client.request(events('subscribe', ['dispatcher']))
  await other.request(events('subscribe', ['dispatcher']))
  client.send(rpc('auth_clear', 'junk'))
  await eventually(() => app.app.services.hub.subscriberCount('syscache:event:dispatcher') === 0, 2000, 'subscriptions dropped')
  await push(app, 'dispatcher', { after: 'clear' })
  // One node: a push is delivered before its REST call returns, so the reply to a request sent
  // now is the next frame unless an event came first.
  t.match(await client.request(rpc('identify', {}, 'i1')), { name: 'response', id: 'i1' }, 'no event after logout')
  t.match(await other.request(rpc('identify', {}, 'i2')), { name: 'response', id: 'i2' }, 'none on the connection sharing the token')
})

t.test('POST /api/syscache/events/{type}: service auth, known types, a body', async (t) => {
  const app = await syscacheApp(t)
  t.equal((await request(app.url, 'POST', '/api/syscache/events/dispatcher', { body: {} })).status, 401, 'no credentials')
  const aliceToken = await login(app.url, ALICE)
  t.equal((await request(app.url, 'POST', '/api/syscache/events/dispatcher', { body: {}, token: aliceToken })).status, 403, 'not an admin')
  const adminToken = await login(app.url)
  t.equal((await request(app.url, 'POST', '/api/syscache/events/dispatcher', { body: { ok: 1 }, token: adminToken })).status, 204, 'admin bearer')
  const unknown = await push(app, 'bridge', {})
  t.equal(unknown.status, 404)
  t.equal(unknown.body.error, 'Not Found')
  t.equal((await request(app.url, 'POST', '/api/syscache/events/dispatcher', { apiKey: TEST_API_KEY })).status, 400, 'no body')
  t.equal((await request(app.url, 'POST', '/api/syscache/events/dispatcher', { apiKey: TEST_API_KEY, body: '{not json', headers: { 'content-type': 'application/json' } })).status, 400, 'bad JSON')
})

t.test('a successful re-auth keeps subscriptions, a failed one drops them', async (t) => {
  const app = await syscacheApp(t)
  const { client, token } = await authed(t, app)
  await client.request(events('subscribe', ['dispatcher']))
  t.equal((await client.request(rpc('auth_token', { token }, 'again'))).name, 'response')
  await push(app, 'dispatcher', { n: 1 })
  t.same(await client.json(), legacy('dispatcher', { n: 1 }), 'still subscribed')
  t.same(await client.request(rpc('auth', { username: 'admin', password: 'bad' }, 'bad')), error('bad', 401, 'Unauthorized'))
  t.equal(app.app.services.hub.subscriberCount('syscache:event:dispatcher'), 0)
  await push(app, 'dispatcher', { n: 2 })
  await client.expectNothing(QUIET_LOCAL)
})

t.test('the REST route is documented in OpenAPI under the syscache tag', async (t) => {
  const app = await syscacheApp(t)
  const { status, body } = await request(app.url, 'GET', '/docs/json')
  t.equal(status, 200)
  const route = body.paths['/api/syscache/events/{type}']
  t.ok(route?.post, 'documented')
  t.same(route.post.tags, ['syscache'])
  t.ok(route.post.responses['204'])
})
