import t from 'tap'
import { startApp } from '../../helpers/app.js'
import { eventually } from '../../helpers/ws-client.js'
import { authToken, connected, emit, open, subscribe, telegraphyOverrides } from './helpers.js'
import { QUIET_LOCAL } from '../../helpers/quiet.js'

t.test('bad input gets INVALID_MESSAGE / UNKNOWN_MESSAGE / NOT_CONNECTED and keeps the connection', async (t) => {
  const { url, wsUrl } = await startApp(t, telegraphyOverrides())
  const client = await open(wsUrl)

  client.send('{not json')
  t.match(await client.json(), { success: false, status: 'INVALID_MESSAGE', id: null, data: { message: String } }, 'malformed JSON')
  t.match(await client.request({ id: 3, args: {} }), { success: false, status: 'INVALID_MESSAGE', id: 3 }, 'missing message')
  t.match(await client.request({ message: 'CONNECT', id: 1.5, args: { auth_token: '' } }), { success: false, status: 'INVALID_MESSAGE', id: null }, 'non-integer id')
  t.match(await client.request({ message: 'CONNECT', id: '1', args: { auth_token: '' } }), { status: 'INVALID_MESSAGE', id: null }, 'string id')
  t.match(await client.request({ message: 'CONNECT' }), { status: 'INVALID_MESSAGE', id: null }, 'missing id')
  t.match(await client.request([1, 2]), { status: 'INVALID_MESSAGE', id: null }, 'not an object')
  t.match(await client.request({ message: 'CONNECT', id: 4, args: {} }), { success: false, status: 'INVALID_MESSAGE', id: 4 }, 'CONNECT without auth_token')
  t.match(await client.request({ message: 'RECONNECT', id: 5 }), { success: false, status: 'INVALID_MESSAGE', id: 5 }, 'RECONNECT without session_token')
  // Checked by its schema (ReconnectArgs) wherever it is; a top-level token wins over args.
  for (const [frame, what] of [
    [{ session_token: 42 }, 'a number'],
    [{ session_token: '' }, 'empty'],
    [{ session_token: 'x'.repeat(513) }, 'too long'],
    [{ args: { session_token: ['x'] } }, 'an array in args'],
    [{ args: 'x' }, 'args not an object'],
    [{ session_token: 7, args: { session_token: 'x' } }, 'a bad top-level one beside a good one in args'],
  ] as const) {
    t.match(await client.request({ message: 'RECONNECT', id: 5, ...frame }), { success: false, status: 'INVALID_MESSAGE', id: 5 }, `RECONNECT session_token ${what}`)
  }
  t.match(await client.request({ message: 'PING', id: 6, args: {} }), { success: false, status: 'UNKNOWN_MESSAGE', id: 6 })
  t.match(await client.request({ message: 'SUBSCRIBE', id: 7, args: { event_name: 'demo.Item' } }), { success: false, status: 'NOT_CONNECTED', id: 7 })
  t.match(await client.request({ message: 'UNSUBSCRIBE', id: 8, args: { event_name: 'demo.Item' } }), { success: false, status: 'NOT_CONNECTED', id: 8 })
  client.sendRaw(Buffer.from(JSON.stringify({ message: 'NOPE', id: 9 })), true)
  t.match(await client.json(), { status: 'UNKNOWN_MESSAGE', id: 9 }, 'binary frames are read as text')

  // Still open: a CONNECT now works.
  const reply = await client.request({ message: 'CONNECT', id: 10, args: { auth_token: await authToken(url) } })
  t.match(reply, { success: true, status: 'CONNECTED', id: 10, data: { session_token: String } })
  t.match(await client.request({ message: 'SUBSCRIBE', id: 11, args: { event_name: 42 } }), { success: false, status: 'INVALID_MESSAGE', id: 11 })
  t.match(await client.request({ message: 'SUBSCRIBE', id: 12, args: { event_name: 'demo.Item', filters: [1] } }), { status: 'INVALID_MESSAGE', id: 12 })
  t.match(await client.request({ message: 'UNSUBSCRIBE', id: 13 }), { status: 'INVALID_MESSAGE', id: 13 })
  t.match(await client.request({ message: 'CONNECT', id: 14, args: { auth_token: 'x' } }), { success: false, status: 'ALREADY_CONNECTED', id: 14 })
  t.match(await client.request({ message: 'RECONNECT', id: 15, session_token: 'x' }), { success: false, status: 'ALREADY_CONNECTED', id: 15 })
  t.match(await client.request({ message: 'subscribe', id: 16, args: { event_name: 'demo.Item' } }), { success: true, status: 'SUBSCRIBED', id: 16 }, 'message names are case-insensitive')
  t.equal(client.closeInfo, null)
})

t.test('CONNECT with a valid token, then with a reused, unknown or empty one', async (t) => {
  const { url, wsUrl } = await startApp(t, telegraphyOverrides())
  const token = await authToken(url)
  const first = await open(wsUrl)
  const ok = await first.request({ message: 'CONNECT', id: 0, args: { auth_token: token } })
  t.same(Object.keys(ok).sort(), ['data', 'id', 'status', 'success'])
  t.match(ok, { success: true, status: 'CONNECTED', id: 0, data: { session_token: /^[\w-]{20,}$/ } })

  for (const [what, authTokenValue] of [['reused', token], ['unknown', 'no-such-token'], ['empty with requireAuth', '']] as const) {
    const client = await open(wsUrl)
    const reply = await client.request({ message: 'CONNECT', id: 0, args: { auth_token: authTokenValue } })
    t.match(reply, { success: false, status: 'INVALID_TOKEN', id: 0, data: { message: String } }, what)
    await client.closed()
  }
  t.equal(first.closeInfo, null, 'the first connection is untouched')
})

t.test('requireAuth false: an empty token connects anonymously, a bad token is still refused', async (t) => {
  const { wsUrl } = await startApp(t, telegraphyOverrides({ requireAuth: false }))
  const client = await open(wsUrl)
  t.match(await client.request({ message: 'CONNECT', id: 0, args: { auth_token: '' } }), { success: true, status: 'CONNECTED', data: { session_token: String } })
  const other = await open(wsUrl)
  t.match(await other.request({ message: 'CONNECT', id: 0, args: { auth_token: 'bogus' } }), { status: 'INVALID_TOKEN' })
  await other.closed()
})

t.test('no CONNECT within connectTimeout: CONNECT_TIMEOUT and close', async (t) => {
  const { url, wsUrl } = await startApp(t, telegraphyOverrides({ connectTimeout: 150 }))
  const idle = await open(wsUrl)
  t.match(await idle.request({ message: 'SUBSCRIBE', id: 0, args: { event_name: 'demo.Item' } }), { status: 'NOT_CONNECTED' }, 'other messages do not stop the timer')
  t.same(await idle.json(), { success: false, status: 'CONNECT_TIMEOUT', id: null, data: { message: 'CONNECT not received' } })
  await idle.closed()

  // A connection that did CONNECT is not timed out.
  const { client } = await connected(url, wsUrl)
  await client.expectNothing(300)
  t.equal(client.closeInfo, null)
})

t.test('SUBSCRIBE: registered, unregistered, lazy; EVENT frames; UNSUBSCRIBE', async (t) => {
  const { url, wsUrl } = await startApp(t, telegraphyOverrides())
  const { client } = await connected(url, wsUrl)

  t.same(await client.request({ message: 'SUBSCRIBE', id: 1, args: { event_name: 'demo.Item', filters: null, permanent: false, lazy: false } }),
    { success: true, status: 'SUBSCRIBED', id: 1, data: { event_name: 'demo.Item' } })
  t.match(await client.request({ message: 'SUBSCRIBE', id: 2, args: { event_name: 'later.Thing' } }),
    { success: false, status: 'EVENT_NOT_REGISTERED', id: 2, data: { event_name: 'later.Thing' } })
  t.match(await client.request({ message: 'SUBSCRIBE', id: 3, args: { event_name: 'lazy.Thing', lazy: true } }),
    { success: true, status: 'SUBSCRIBED', id: 3 }, 'lazy always succeeds')

  t.equal(await emit(url, 'demo.Item', { id: 1, title: 'one' }, { event_type: 'create', verbose_name: 'item', timestamp: '2013-09-26T10:00:00.000000Z' }), true)
  const event = await client.json()
  t.same(event, {
    event: 'demo.Item',
    name: 'demo.Item',
    meta: { event_type: 'create', verbose_name: 'item', timestamp: '2013-09-26T10:00:00.000000Z' },
    data: { id: 1, title: 'one' },
  }, 'EVENT frame, exactly, without id')

  t.equal(await emit(url, 'lazy.Thing', { n: 1 }), true, 'an unregistered name is sent (sendUnregistered)')
  const lazy = await client.json()
  t.match(lazy, { event: 'lazy.Thing', name: 'lazy.Thing', meta: { event_type: 'custom', verbose_name: 'lazy.Thing' }, data: { n: 1 } })
  t.match(lazy.meta.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/, 'default timestamp is ISO 8601 UTC')

  // Emitting registered lazy.Thing at run time: a non-lazy SUBSCRIBE now succeeds.
  t.match(await client.request({ message: 'SUBSCRIBE', id: 4, args: { event_name: 'lazy.Thing', filters: { n: 2 } } }), { status: 'SUBSCRIBED', id: 4 })

  t.same(await client.request({ message: 'UNSUBSCRIBE', id: 5, args: { event_name: 'demo.Item', filters: null } }),
    { success: true, status: 'UNSUBSCRIBED', id: 5, data: { event_name: 'demo.Item' } })
  t.match(await client.request({ message: 'UNSUBSCRIBE', id: 6, args: { event_name: 'demo.Item' } }), { success: false, status: 'NOT_SUBSCRIBED', id: 6 })
  t.match(await client.request({ message: 'UNSUBSCRIBE', id: 7, args: { event_name: 'lazy.Thing', filters: { n: 3 } } }), { status: 'NOT_SUBSCRIBED' }, 'filters are part of the subscription')
  await emit(url, 'demo.Item', { id: 2 })
  await client.expectNothing(QUIET_LOCAL)

  t.match(await client.request({ message: 'UNSUBSCRIBE', id: 8, args: { event_name: 'lazy.Thing' } }), { status: 'UNSUBSCRIBED' }, 'the unfiltered lazy one')
  await emit(url, 'lazy.Thing', { n: 1 })
  await emit(url, 'lazy.Thing', { n: 2 })
  t.match(await client.json(), { name: 'lazy.Thing', data: { n: 2 } }, 'only the filtered subscription is left')
  await client.expectNothing(QUIET_LOCAL)
})

t.test('filters match equal keys of the event data; one event goes out once per connection', async (t) => {
  const { url, wsUrl } = await startApp(t, telegraphyOverrides())
  const a = (await connected(url, wsUrl)).client
  const b = (await connected(url, wsUrl)).client
  const c = (await connected(url, wsUrl)).client
  await subscribe(a, 1, { event_name: 'demo.Item', filters: { owner: 'alice' } })
  await subscribe(a, 2, { event_name: 'demo.Item', filters: { owner: 'alice', tags: ['x'] } })
  await subscribe(b, 1, { event_name: 'demo.Item', filters: {} })
  await subscribe(c, 1, { event_name: 'demo.Item', filters: { owner: 'bob', meta: { level: 1 } } })

  await emit(url, 'demo.Item', { id: 0, owner: 'alice', tags: { 0: 'x' } })
  await emit(url, 'demo.Item', { id: 0, owner: 'bob', meta: { level: 2 } })
  await emit(url, 'demo.Item', { id: 0, owner: 'bob', meta: { other: 1 } })
  await emit(url, 'demo.Item', { id: 1, owner: 'alice', tags: ['x'] })
  await emit(url, 'demo.Item', { id: 2, owner: 'bob', meta: { level: 1, extra: true } })
  await emit(url, 'demo.Item', { id: 3, owner: 'bob', meta: { level: 1 } })

  t.match(await a.json(), { data: { id: 0, owner: 'alice' } }, 'a\'s first subscription')
  t.match(await a.json(), { data: { id: 1 } }, 'both of a\'s subscriptions match, one frame')
  for (let i = 0; i < 3; i++) t.same((await b.json()).data.id, 0)
  t.same((await b.json()).data.id, 1)
  t.same((await b.json()).data.id, 2)
  t.same((await b.json()).data.id, 3)
  t.match(await c.json(), { data: { id: 3 } }, 'nested filter values compare by value')
  await Promise.all([a.expectNothing(QUIET_LOCAL), b.expectNothing(QUIET_LOCAL), c.expectNothing(QUIET_LOCAL)])
})

t.test('events whose data is not an object match only unfiltered subscriptions', async (t) => {
  const { app, url, wsUrl } = await startApp(t, telegraphyOverrides())
  const filtered = (await connected(url, wsUrl)).client
  const all = (await connected(url, wsUrl)).client
  await subscribe(filtered, 1, { event_name: 'demo.Item', filters: { id: 1 } })
  await subscribe(all, 1, { event_name: 'demo.Item' })
  await app.telegraphy.emit('demo.Item', { data: 5 })
  t.match(await all.json(), { data: 5 })
  await filtered.expectNothing(QUIET_LOCAL)
})

t.test('a socket closed before CONNECT leaves nothing behind', async (t) => {
  const { app, wsUrl } = await startApp(t, telegraphyOverrides({ connectTimeout: 100 }))
  const client = await open(wsUrl)
  await eventually(() => app.services.connections.size === 1, 2000, 'registered')
  t.equal(app.services.connections.size, 1, 'registered on accept, before CONNECT')
  client.close()
  t.equal((await client.closed()).code, 1005, 'closed by the client, not the server')
  await eventually(() => app.services.connections.size === 0, 2000, 'gone')
  t.equal(app.services.connections.size, 0, 'unregistered once the socket closed')
})

t.test('sendUnregistered false: unregistered events are dropped', async (t) => {
  const { url, wsUrl } = await startApp(t, telegraphyOverrides({ sendUnregistered: false }))
  const { client } = await connected(url, wsUrl)
  await subscribe(client, 1, { event_name: 'never.Registered', lazy: true })
  t.equal(await emit(url, 'never.Registered', { n: 1 }), false)
  await client.expectNothing(QUIET_LOCAL)
  t.match(await client.request({ message: 'SUBSCRIBE', id: 2, args: { event_name: 'never.Registered' } }), { status: 'EVENT_NOT_REGISTERED' })
})

t.test('in-process API decorated on the app', async (t) => {
  const { app, wsUrl } = await startApp(t, telegraphyOverrides())
  const anonymous = await app.telegraphy.issueAuthToken()
  const user = await app.telegraphy.issueAuthToken('alice')
  const client = await open(wsUrl)
  t.match(await client.request({ message: 'CONNECT', id: 0, args: { auth_token: anonymous } }), { status: 'CONNECTED' })
  const second = await open(wsUrl)
  t.match(await second.request({ message: 'CONNECT', id: 0, args: { auth_token: user } }), { status: 'CONNECTED' })
  await app.telegraphy.registerEvent('api.Event')
  await subscribe(client, 1, { event_name: 'api.Event' })
  t.equal(await app.telegraphy.emit('api.Event', { data: { ok: true } }), true)
  t.match(await client.json(), { name: 'api.Event', data: { ok: true } })
})
