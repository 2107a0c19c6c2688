import t from 'tap'
import { startApp } from '../../helpers/app.js'
import { client, nextTwo, overrides, upgradeStatus } from './fixture.js'
import { QUIET_LOCAL } from '../../helpers/quiet.js'

// Spec §2.4–2.7 over real sockets, following upstream's websocket_api_test.go (§2.10).

t.test('authenticate: every error id, then success (§2.4, §2.10)', async (t) => {
  const { wsUrl } = await startApp(t, overrides())
  const ws = await client(wsUrl)
  t.same(await ws.request({ authenticate: { user: 'front', secret: 'wrong' } }), { err: 'INVALID_CREDENTIALS' })
  t.same(await ws.request({ authenticate: 'invalid' }), { err: 'INVALID_PAYLOAD' })
  t.same(await ws.request({ authenticate: [1, 2] }), { err: 'INVALID_PAYLOAD' })
  t.same(await ws.request({ authenticate: {} }), { err: 'INVALID_USER_NAME' })
  t.same(await ws.request({ authenticate: { user: 'front' } }), { err: 'INVALID_CREDENTIALS' })
  t.same(await ws.request({ authenticate: { user: 'nobody', secret: 'x' } }), { err: 'USER_NOT_FOUND' })
  t.same(await ws.request({ authenticate: { user: '', secret: 'x' } }), { err: 'USER_NOT_FOUND' })
  t.same(await ws.request({ authenticate: { user: { a: 1 }, secret: 'x' } }), { err: 'INVALID_USER_NAME' })
  t.same(await ws.request({ authenticate: { user: 'front', secret: { a: 1 } } }), { err: 'INVALID_CREDENTIALS' })
  // A failed authenticate leaves the connection unauthenticated.
  t.same(await ws.request({ subscribe: { channel: 'hello' } }), { err: 'ACCESS_DENIED' })
  t.same(await ws.request({ authenticate: { user: 'front', secret: 'read-secret' } }), { authenticated: 'front' })
  t.same(await ws.request({ authenticate: { user: 'back', secret: 'read-write-secret' } }), { authenticated: 'back' })
  // A failed re-authenticate keeps the previous session (back may still broadcast).
  t.same(await ws.request({ authenticate: { user: 'front', secret: 'nope' } }), { err: 'INVALID_CREDENTIALS' })
  t.same(await ws.request({ subscribe: { channel: 'hello' } }), { subscribed: 'hello' })
  t.same(await ws.request({ broadcast: { event: 'e', channel: 'nothere' } }), { err: 'CHANNEL_NOT_FOUND' })
  // §2.2: an empty secret accepts anything, including no secret and a non-string one.
  t.same(await ws.request({ authenticate: { user: 'no-secret' } }), { authenticated: 'no-secret' })
  t.same(await ws.request({ authenticate: { user: 'no-secret', secret: 'whatever' } }), { authenticated: 'no-secret' })
  t.same(await ws.request({ authenticate: { user: 'no-secret', secret: 42 } }), { authenticated: 'no-secret' })
  // Repeated authentication (cached verification) still rejects a wrong secret.
  t.same(await ws.request({ authenticate: { user: 'back', secret: 'read-write-secret' } }), { authenticated: 'back' })
  t.same(await ws.request({ authenticate: { user: 'back', secret: 'read-write-secreT' } }), { err: 'INVALID_CREDENTIALS' })
  ws.close()
})

t.test('subscribe and unsubscribe (§2.4)', async (t) => {
  const { wsUrl } = await startApp(t, overrides())
  const ws = await client(wsUrl)
  // Permission first, payload after: unauthenticated gets ACCESS_DENIED even for garbage.
  t.same(await ws.request({ subscribe: 'invalid' }), { err: 'ACCESS_DENIED' })
  t.same(await ws.request({ unsubscribe: 'invalid' }), { err: 'ACCESS_DENIED' })
  t.same(await ws.request({ authenticate: { user: 'front', secret: 'read-secret' } }), { authenticated: 'front' })
  t.same(await ws.request({ subscribe: 'invalid' }), { err: 'INVALID_PAYLOAD' })
  t.same(await ws.request({ subscribe: { foo: 'bar' } }), { err: 'INVALID_CHANNEL_NAME' })
  t.same(await ws.request({ subscribe: { channel: '' } }), { err: 'INVALID_CHANNEL_NAME' })
  t.same(await ws.request({ subscribe: { channel: { a: 1 } } }), { err: 'INVALID_CHANNEL_NAME' })
  t.same(await ws.request({ subscribe: { channel: 'hello' } }), { subscribed: 'hello' })
  t.same(await ws.request({ subscribe: { channel: 'hello' } }), { subscribed: 'hello' }, 'idempotent')
  t.same(await ws.request({ unsubscribe: 'invalid' }), { err: 'INVALID_PAYLOAD' })
  t.same(await ws.request({ unsubscribe: { foo: 'bar' } }), { err: 'INVALID_CHANNEL_NAME' })
  t.same(await ws.request({ unsubscribe: { channel: '' } }), { err: 'INVALID_CHANNEL_NAME' })
  t.same(await ws.request({ unsubscribe: { channel: 7 } }), { err: 'INVALID_CHANNEL_NAME' })
  t.same(await ws.request({ unsubscribe: { channel: 'never-created' } }), { err: 'CHANNEL_NOT_FOUND' })
  t.same(await ws.request({ unsubscribe: { channel: 'hello' } }), { unsubscribed: 'hello' })
  t.same(await ws.request({ unsubscribe: { channel: 'hello' } }), { unsubscribed: 'hello' }, 'existing channel, not subscribed: success')

  // After unsubscribing, broadcasts on the channel no longer arrive.
  const back = await client(wsUrl, '/webrocket/echo', 'back', 'read-write-secret')
  t.same(await back.request({ broadcast: { event: 'e', channel: 'hello', data: 1 } }), { broadcasted: 'hello' })
  await ws.expectNothing(QUIET_LOCAL)
  ws.close()
  back.close()
})

t.test('broadcast (§2.4): WRITE first, errors in order, inner object verbatim', async (t) => {
  const { wsUrl } = await startApp(t, overrides())
  const front = await client(wsUrl, '/webrocket/echo', 'front', 'read-secret')
  const other = await client(wsUrl, '/webrocket/echo', 'no-secret', '')
  t.same(await front.request({ broadcast: 'invalid' }), { err: 'ACCESS_DENIED' })
  t.same(await front.request({ subscribe: { channel: 'hello' } }), { subscribed: 'hello' })
  t.same(await other.request({ subscribe: { channel: 'hello' } }), { subscribed: 'hello' })
  t.same(await front.request({ broadcast: { event: 'foo', channel: 'hello', data: 'bar' } }), { err: 'ACCESS_DENIED' })

  const back = await client(wsUrl, '/webrocket/echo', 'back', 'read-write-secret')
  t.same(await back.request({ broadcast: 'invalid' }), { err: 'INVALID_PAYLOAD' })
  t.same(await back.request({ broadcast: { event: 'foo', channel: 'unknown' } }), { err: 'CHANNEL_NOT_FOUND' })
  t.same(await back.request({ broadcast: { event: 'foo', channel: { a: 1 } } }), { err: 'INVALID_CHANNEL_NAME' })
  t.same(await back.request({ broadcast: { channel: 'hello', data: 'bar' } }), { err: 'INVALID_EVENT_NAME' })
  t.same(await back.request({ broadcast: { event: '', channel: 'hello' } }), { err: 'INVALID_EVENT_NAME' })
  t.same(await back.request({ broadcast: { event: 'foo', data: 'bar' } }), { err: 'INVALID_CHANNEL_NAME' })
  t.same(await back.request({ broadcast: { event: 'foo', channel: '' } }), { err: 'INVALID_CHANNEL_NAME' })

  // The sender need not be subscribed; subscribers get the inner object exactly, extra keys too.
  const sent = '{"event":"foo","channel":"hello","data":{"x":[1,"two",null]},"extra":true}'
  back.sendRaw(`{"broadcast":${sent}}`)
  t.same(await back.json(), { broadcasted: 'hello' })
  t.equal(await front.next(), sent)
  t.equal(await other.next(), sent)

  // A subscribed sender gets both frames, in no defined order (§6.3).
  t.same(await back.request({ subscribe: { channel: 'hello' } }), { subscribed: 'hello' })
  back.send({ broadcast: { event: 'foo', channel: 'hello', data: 'bar' } })
  t.same(await nextTwo(back), [{ broadcasted: 'hello' }, { event: 'foo', channel: 'hello', data: 'bar' }])
  t.same(await front.json(), { event: 'foo', channel: 'hello', data: 'bar' })

  // A WRITE-only user may broadcast but not subscribe.
  const writer = await client(wsUrl, '/webrocket/echo', 'writer', 'write-secret')
  t.same(await writer.request({ subscribe: { channel: 'hello' } }), { err: 'ACCESS_DENIED' })
  t.same(await writer.request({ broadcast: { event: 'w', channel: 'hello' } }), { broadcasted: 'hello' })
  t.same(await front.json(), { event: 'w', channel: 'hello' })
  for (const ws of [front, other, back, writer]) ws.close()
})

t.test('logout and disconnect (§2.4, §2.9 item 3)', async (t) => {
  const { wsUrl } = await startApp(t, overrides())
  const ws = await client(wsUrl)
  t.same(await ws.request({ logout: true }), { err: 'ACCESS_DENIED' }, 'not authenticated')
  t.same(await ws.request({ authenticate: { user: 'writer', secret: 'write-secret' } }), { authenticated: 'writer' })
  t.same(await ws.request({ logout: true }), { err: 'ACCESS_DENIED' }, 'WRITE-only user lacks READ')
  t.same(await ws.request({ authenticate: { user: 'front', secret: 'read-secret' } }), { authenticated: 'front' })
  t.same(await ws.request({ subscribe: { channel: 'hello' } }), { subscribed: 'hello' })
  t.same(await ws.request({ logout: 'any value' }), { loggedOut: true })
  t.same(await ws.request({ subscribe: { channel: 'hello' } }), { err: 'ACCESS_DENIED' }, 'session cleared')
  const back = await client(wsUrl, '/webrocket/echo', 'back', 'read-write-secret')
  t.same(await back.request({ broadcast: { event: 'e', channel: 'hello' } }), { broadcasted: 'hello' })
  await ws.expectNothing(QUIET_LOCAL) // logout left every channel

  t.same(await ws.request({ authenticate: { user: 'front', secret: 'read-secret' } }), { authenticated: 'front' })
  t.same(await ws.request({ subscribe: { channel: 'hello' } }), { subscribed: 'hello' })
  ws.send({ disconnect: 'anything' })
  await ws.closed()
  t.equal(ws.frames.length, 0, 'no reply to disconnect')
  // The closed connection left the channel: the next broadcast reaches nobody and nothing breaks.
  t.same(await back.request({ broadcast: { event: 'e', channel: 'hello' } }), { broadcasted: 'hello' })
  back.close()
})

t.test('malformed input (§2.7) and unknown events', async (t) => {
  const { wsUrl } = await startApp(t, overrides())
  const ws = await client(wsUrl)
  for (const bad of ['not json', '[1,2]', '"text"', '42', 'null', '{}', '{"authenticate":{"user":"front"},"subscribe":{}}']) {
    ws.sendRaw(bad)
    t.same(await ws.json(), { err: 'INVALID_PAYLOAD' }, bad)
  }
  ws.sendRaw(Buffer.from('{"nope":1}'), true)
  t.same(await ws.json(), { err: 'UNDEFINED_EVENT', event: 'nope' }, 'binary frames are read as text')
  t.same(await ws.request({ __proto__x: 1 }), { err: 'UNDEFINED_EVENT', event: '__proto__x' })
  t.same(await ws.request({ authenticate: { user: 'front', secret: 'read-secret' } }), { authenticated: 'front' }, 'still usable')
  ws.close()
})

t.test('endpoints: unknown vhost is 404, vhosts are isolated, pipelined frames answer in order', async (t) => {
  const { wsUrl } = await startApp(t, overrides())
  for (const path of ['/webrocket/nope', '/webrocket/echo/', '/echo', '/webrocket/echo/x']) {
    t.equal(await upgradeStatus(wsUrl + path), 404, path)
  }
  // Same user name and channel name on two vhosts: separate users, separate channels.
  const echo = await client(wsUrl, '/webrocket/echo', 'back', 'read-write-secret')
  t.same(await (await client(wsUrl, '/webrocket/other')).request({ authenticate: { user: 'back', secret: 'read-write-secret' } }), { err: 'INVALID_CREDENTIALS' })
  t.same(await (await client(wsUrl, '/webrocket/other')).request({ authenticate: { user: 'front', secret: 'read-secret' } }), { err: 'USER_NOT_FOUND' })
  const other = await client(wsUrl, '/webrocket/other', 'back', 'other-secret')
  t.same(await echo.request({ subscribe: { channel: 'hello' } }), { subscribed: 'hello' })
  t.same(await other.request({ broadcast: { event: 'e', channel: 'hello' } }), { err: 'CHANNEL_NOT_FOUND' })
  t.same(await other.request({ subscribe: { channel: 'hello' } }), { subscribed: 'hello' })
  other.send({ broadcast: { event: 'from-other', channel: 'hello' } })
  t.same(await nextTwo(other), [{ broadcasted: 'hello' }, { event: 'from-other', channel: 'hello' }])
  await echo.expectNothing(QUIET_LOCAL)

  // Frames sent back to back are answered in order, whatever each one waits for.
  for (let i = 0; i < 5; i++) {
    echo.send({ subscribe: { channel: `c${i}` } })
    echo.send({ authenticate: { user: 'back', secret: 'read-write-secret' } })
  }
  for (let i = 0; i < 5; i++) {
    t.same(await echo.json(), { subscribed: `c${i}` })
    t.same(await echo.json(), { authenticated: 'back' })
  }
  echo.close()
  other.close()
})

t.test('prefix "" serves upstream bare /<vhost> paths', async (t) => {
  const { wsUrl, url } = await startApp(t, overrides({ prefix: '' }))
  const ws = await client(wsUrl, '/echo', 'front', 'read-secret')
  t.same(await ws.request({ subscribe: { channel: 'x' } }), { subscribed: 'x' })
  t.equal(await upgradeStatus(`${wsUrl}/webrocket/echo`), 404)
  t.equal((await fetch(`${url}/health`)).status, 200, 'static routes still win over /:vhost')
  ws.close()
})
