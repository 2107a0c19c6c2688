import t from 'tap'
import { request, TEST_API_KEY } from '../../helpers/app.js'
import { nestedText } from '../../hostile/frames.js'
import { authed, error, events, rpc, sysadm, syscacheApp } from './helpers.js'

// Issue 14 input limits on syscache (plugins/syscache/README.md "Limits"): every breach is the
// seed error envelope with 400 (spec §1.5) and the connection stays usable.

const BAD_NAMES = ['x'.repeat(256), 'a\u0000b', '\ud800', 'new\nline']

t.test('frames nested past limits.maxDepth are 400 with id "error"', async (t) => {
  const app = await syscacheApp(t, {}, { limits: { maxDepth: 6 } })
  const { client } = await authed(t, app)
  client.send(`{"namespace":"sysadm","name":"systemmanager","id":"d1","args":${nestedText(30_000)}}`)
  t.same(await client.json(), error('error', 400, 'Bad Request'))
  // The frame is level 1, args level 2: 5 more levels in args reach the limit exactly.
  client.send(`{"namespace":"rpc","name":"identify","id":"ok","args":${nestedText(5)}}`)
  t.same((await client.json()).name, 'response')
  client.send(`{"namespace":"rpc","name":"identify","id":"deep","args":${nestedText(6)}}`)
  t.same(await client.json(), error('error', 400, 'Bad Request'))
  t.same((await client.request(sysadm('systemmanager', { action: 'memorystats' }))).name, 'response', 'still usable')
})

t.test('an id that parses as Infinity is answered with id "error", not null', async (t) => {
  const app = await syscacheApp(t)
  const { client } = await authed(t, app)
  client.send('{"namespace":"events","name":"subscribe","id":1e309,"args":["dispatcher"]}')
  t.same(await client.json(), error('error', 400, 'Bad Request'))
})

t.test('namespace, name and event names past the name rules are 400', async (t) => {
  const app = await syscacheApp(t)
  const { client } = await authed(t, app)
  for (const name of BAD_NAMES) {
    const label = JSON.stringify(name.slice(0, 12))
    t.same(await client.request(events('subscribe', [name], 'e')), error('e', 400, 'Bad Request'), `subscribe ${label}`)
    t.same(await client.request(events('subscribe', ['dispatcher', name], 'e')), error('e', 400, 'Bad Request'), `in a list ${label}`)
    t.same(await client.request(events('unsubscribe', name, 'u')), error('u', 400, 'Bad Request'), `unsubscribe ${label}`)
    t.same(await client.request({ namespace: 'sysadm', name, id: 'c', args: { action: 'x' } }), error('c', 400, 'Bad Request'), `class ${label}`)
    t.same(await client.request({ namespace: name, name: 'x', id: 'n', args: {} }), error('n', 400, 'Bad Request'), `namespace ${label}`)
  }
  // An unknown but well-formed name is still skipped (§1.9 #6), not refused.
  t.same(await client.request(events('subscribe', ['no-such-type'], 'ok')), { namespace: 'events', name: 'response', id: 'ok', args: {} })
})

t.test('an event list longer than limits.subscriptionsPerConnection is 400', async (t) => {
  const app = await syscacheApp(t, {}, { limits: { subscriptionsPerConnection: 3 } })
  const { client } = await authed(t, app)
  const four = ['dispatcher', 'life-preserver', 'system-state', 'dispatcher']
  t.same(await client.request(events('subscribe', four, 'big')), error('big', 400, 'Bad Request'))
  t.same(await client.request(events('unsubscribe', four, 'big2')), error('big2', 400, 'Bad Request'))
  t.same(await client.request(events('subscribe', four.slice(0, 3), 'ok')),
    { namespace: 'events', name: 'response', id: 'ok', args: { subscribe: 'system-state' } })
})

t.test('a user name no user can have is 401, not a database error', async (t) => {
  const app = await syscacheApp(t)
  const { client } = await authed(t, app)
  t.same(await client.request(rpc('auth', { username: 'a\u0000b', password: 'x' }, 'a')), error('a', 401, 'Unauthorized'))
  t.same(await client.request(rpc('auth', { username: '\ud800', password: 'x' }, 'b')), error('b', 401, 'Unauthorized'))
})

t.test('POST /api/syscache/events/{type}: names and reserved keys are 400, deep bodies 400, huge bodies 413', async (t) => {
  const app = await syscacheApp(t)
  const apiKey = TEST_API_KEY
  const post = (type: string, body: unknown) => request(app.url, 'POST', `/api/syscache/events/${encodeURIComponent(type)}`, { apiKey, body })
  // Fastify's router refuses path parameters over 100 characters before any handler (414).
  t.equal((await post('x'.repeat(300), { a: 1 })).status, 414, 'long type')
  t.equal((await post('€'.repeat(90), { a: 1 })).status, 400, '90 characters but 270 UTF-8 bytes')
  t.equal((await post('a\u0001b', { a: 1 })).status, 400, 'control character in the type')
  t.equal((await post('no-such-type', { a: 1 })).status, 404, 'a well-formed unknown type is still 404')
  for (const key of ['toString', 'hasOwnProperty', 'prototype', '__proto__', 'constructor']) {
    const res = await post('dispatcher', `{"state":"x","nested":{"${key}":1}}`)
    t.equal(res.status, 400, `stored payload with ${key}`)
  }
  t.equal((await post('dispatcher', nestedText(100_000))).status, 400, 'deep body')
  t.equal((await post('dispatcher', JSON.stringify({ big: 'x'.repeat(1_100_000) }))).status, 413, 'over bodyLimit')
  t.equal((await post('dispatcher', { state: 'finished' })).status, 204, 'a valid event still goes')
})
