import t from 'tap'
import { request, startApp, TEST_API_KEY } from '../helpers/app.js'
import { nestedText } from '../hostile/frames.js'

// Issue 14 on the REST publish routes and /auth/anonymous/: a deep body is 400 (it was 500), a
// body over Fastify's bodyLimit (1 MiB) is 413, names past the name rules are 400.

const apiKey = TEST_API_KEY
const deep = nestedText(100_000, '{"a":', '}')
const huge = (valid: Record<string, unknown>) => JSON.stringify({ ...valid, padding: 'x'.repeat(1_100_000) })

/** Each publish route with a valid body, and where in it a deep value goes. */
const ROUTES: Array<{ path: string, valid: Record<string, unknown>, deepBody: string, ok: number }> = [
  { path: '/api/webrocket/vhosts/echo/broadcast', valid: { channel: 'news', event: 'e', data: 1 }, deepBody: `{"channel":"news","event":"e","data":${deep}}`, ok: 200 },
  { path: '/api/telegraphy/events', valid: { name: 'demo.Item', data: { a: 1 } }, deepBody: `{"name":"demo.Item","data":${deep}}`, ok: 202 },
  { path: '/api/syscache/events/dispatcher', valid: { state: 'x' }, deepBody: deep, ok: 204 },
  { path: '/api/das/emit', valid: { type: 'new_event', data: { a: 1 } }, deepBody: `{"type":"new_event","data":${deep}}`, ok: 202 },
  { path: '/api/das/subject-updates', valid: { subject: { id: 's1' } }, deepBody: `{"subject":${deep}}`, ok: 202 },
]

t.test('publish routes: deep 400, over bodyLimit 413, valid still accepted', async (t) => {
  const app = await startApp(t)
  t.equal((await request(app.url, 'POST', '/api/webrocket/vhosts/echo/channels', { apiKey, body: { name: 'news' } })).status, 201)
  for (const route of ROUTES) {
    const deepReply = await request(app.url, 'POST', route.path, { apiKey, body: route.deepBody })
    t.equal(deepReply.status, 400, `${route.path} deep`)
    t.equal(deepReply.body.statusCode, 400)
    t.equal((await request(app.url, 'POST', route.path, { apiKey, body: huge(route.valid) })).status, 413, `${route.path} huge`)
    t.equal((await request(app.url, 'POST', route.path, { apiKey, body: route.valid })).status, route.ok, `${route.path} valid`)
  }
})

t.test('publish routes: names past the name rules are 400', async (t) => {
  const app = await startApp(t)
  t.equal((await request(app.url, 'POST', '/api/webrocket/vhosts/echo/channels', { apiKey, body: { name: 'news' } })).status, 201)
  for (const bad of ['a\u0000b', 'x'.repeat(256), '\ud800', 'line\nbreak']) {
    const label = JSON.stringify(bad.slice(0, 10))
    const post = (path: string, body: unknown) => request(app.url, 'POST', path, { apiKey, body })
    t.equal((await post('/api/webrocket/vhosts/echo/broadcast', { channel: bad, event: 'e' })).status, 400, `webrocket channel ${label}`)
    t.equal((await post('/api/webrocket/vhosts/echo/broadcast', { channel: 'news', event: bad })).status, 400, `webrocket event ${label}`)
    t.equal((await post('/api/webrocket/vhosts/echo/channels', { name: bad })).status, 400, `webrocket new channel ${label}`)
    t.equal((await post('/api/webrocket/vhosts/echo/users', { name: bad })).status, 400, `webrocket new user ${label}`)
    t.equal((await post('/api/telegraphy/events', { name: bad, data: {} })).status, 400, `telegraphy event ${label}`)
    t.equal((await post('/api/das/emit', { type: bad, data: {} })).status, 400, `das type ${label}`)
  }
})

t.test('/auth/anonymous/: data over limits.anonymousDataSize is 413, reserved keys 400', async (t) => {
  const app = await startApp(t, { limits: { anonymousDataSize: 100 } })
  const anonymous = (body: unknown) => request(app.url, 'POST', '/auth/anonymous/', { body })
  const fits = { name: 'x'.repeat(80) } // {"name":"…"} is 91 bytes
  t.equal(Buffer.byteLength(JSON.stringify(fits)), 91)
  t.equal((await anonymous(fits)).status, 200)
  const over = await anonymous({ name: 'é'.repeat(45) }) // 45 characters, 101 bytes of JSON
  t.equal(over.status, 413)
  t.match(over.body, { statusCode: 413, error: 'Payload Too Large' })
  for (const key of ['toString', 'valueOf', 'prototype', 'hasOwnProperty']) {
    t.equal((await anonymous(`{"a":{"${key}":1}}`)).status, 400, key)
  }
  t.equal((await anonymous('{"__proto__":{"admin":true}}')).status, 400, '__proto__')
  t.equal((await anonymous(nestedText(100_000, '{"a":', '}'))).status, 400, 'deep')
  t.equal((await request(app.url, 'POST', '/auth/anonymous/')).status, 200, 'no body is still fine')
})

t.test('/auth/anonymous/ refuses the 900 KB body of the attacker test at the default limit', async (t) => {
  const app = await startApp(t)
  const res = await request(app.url, 'POST', '/auth/anonymous/', { body: { blob: 'x'.repeat(900_000) } })
  t.equal(res.status, 413)
})
