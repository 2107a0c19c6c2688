import t from 'tap'
import { request, sharedClusterOverrides, startApp, TEST_API_KEY } from '../../helpers/app.js'
import { nestedText } from '../../hostile/frames.js'
import { ECHO, client, overrides } from './fixture.js'

// Issue 14 input limits on WebRocket (plugins/webrocket/README.md "Limits"): each breach gets the
// protocol's own error id (spec §2.5) and the connection stays usable.

const apiKey = TEST_API_KEY
const BAD_NAMES = ['x'.repeat(256), 'a\u0000b', '\ud800', 'tab\there', 'é'.repeat(128)]

t.test('frames nested past limits.maxDepth are INVALID_PAYLOAD, the connection goes on', async (t) => {
  const app = await startApp(t, { ...overrides(), limits: { maxDepth: 8 } })
  const back = await client(app.wsUrl, '/webrocket/echo', 'back', 'read-write-secret')
  const front = await client(app.wsUrl, '/webrocket/echo', 'front', 'read-secret')
  t.same(await front.request({ subscribe: { channel: 'deep' } }), { subscribed: 'deep' })
  // The attacker's frame: a broadcast whose data nests 30,000 levels (it closed the socket 1011;
  // 30,000 keeps it under the default maxPayload, the fuzz suite sends 100,000).
  back.send(`{"broadcast":{"event":"e","channel":"deep","data":${nestedText(30_000)}}}`)
  t.same(await back.json(), { err: 'INVALID_PAYLOAD' })
  // Exactly at the limit (8 levels counting the frame itself) still goes through.
  const atLimit = `{"broadcast":{"event":"e","channel":"deep","data":${nestedText(6)}}}`
  back.send(atLimit)
  t.same(await back.json(), { broadcasted: 'deep' })
  t.same(await front.json(), { event: 'e', channel: 'deep', data: JSON.parse(nestedText(6)) })
  back.send(`{"broadcast":{"event":"e","channel":"deep","data":${nestedText(7)}}}`)
  t.same(await back.json(), { err: 'INVALID_PAYLOAD' })
  await front.expectNothing(100)
  t.same(await back.request({ subscribe: { channel: 'deep' } }), { subscribed: 'deep' }, 'still usable')
  back.close()
  front.close()
})

t.test('channel, event and user names past the name rules are refused with their error ids', async (t) => {
  const app = await startApp(t, overrides())
  const back = await client(app.wsUrl, '/webrocket/echo', 'back', 'read-write-secret')
  for (const name of BAD_NAMES) {
    const label = JSON.stringify(name.slice(0, 12))
    t.same(await back.request({ subscribe: { channel: name } }), { err: 'INVALID_CHANNEL_NAME' }, `subscribe ${label}`)
    t.same(await back.request({ unsubscribe: { channel: name } }), { err: 'INVALID_CHANNEL_NAME' }, `unsubscribe ${label}`)
    t.same(await back.request({ broadcast: { event: 'e', channel: name } }), { err: 'INVALID_CHANNEL_NAME' }, `broadcast channel ${label}`)
    t.same(await back.request({ broadcast: { event: name, channel: 'c' } }), { err: 'INVALID_EVENT_NAME' }, `broadcast event ${label}`)
    t.same(await back.request({ trigger: { event: name } }), { err: 'INVALID_EVENT_NAME' }, `trigger ${label}`)
    t.same(await back.request({ authenticate: { user: name, secret: 'x' } }), { err: 'INVALID_USER_NAME' }, `authenticate ${label}`)
  }
  // 255 bytes is a name; the failed authentications above left the session as it was (§2.4).
  const longest = 'é'.repeat(127) + 'x'
  t.same(await back.request({ subscribe: { channel: longest } }), { subscribed: longest })
  const { body } = await request(app.url, 'GET', '/api/webrocket/vhosts/echo/channels', { apiKey })
  t.same(body.channels, [longest], 'no refused name became a channel')
  back.close()
})

t.test('subscriptions per connection are capped: ACCESS_DENIED past limits.subscriptionsPerConnection', async (t) => {
  const app = await startApp(t, { ...overrides(), limits: { subscriptionsPerConnection: 3 } })
  const front = await client(app.wsUrl, '/webrocket/echo', 'front', 'read-secret')
  for (const c of ['a', 'b', 'c']) t.same(await front.request({ subscribe: { channel: c } }), { subscribed: c })
  t.same(await front.request({ subscribe: { channel: 'd' } }), { err: 'ACCESS_DENIED' })
  t.same(await front.request({ subscribe: { channel: 'a' } }), { subscribed: 'a' }, 're-subscribing is not a new subscription')
  t.same(await front.request({ unsubscribe: { channel: 'b' } }), { unsubscribed: 'b' })
  t.same(await front.request({ subscribe: { channel: 'd' } }), { subscribed: 'd' }, 'a freed place can be used')
  // Another connection has its own count.
  const other = await client(app.wsUrl, '/webrocket/echo', 'no-secret')
  t.same(await other.request({ subscribe: { channel: 'e' } }), { subscribed: 'e' })
  const { body } = await request(app.url, 'GET', '/api/webrocket/vhosts/echo/channels', { apiKey })
  t.same(body.channels, ['a', 'b', 'c', 'd', 'e'], 'the refused subscribe created nothing')
  front.close()
  other.close()
})

t.test('client-created channels per vhost are capped; admin channels do not count', async (t) => {
  const app = await startApp(t, { ...overrides(), limits: { channelsPerVhost: 3 } })
  // A READ-only user may create channels (spec §2.2, §2.4: subscribe creates them).
  const front = await client(app.wsUrl, '/webrocket/echo', 'front', 'read-secret')
  for (const c of ['c1', 'c2', 'c3']) t.same(await front.request({ subscribe: { channel: c } }), { subscribed: c })
  t.same(await front.request({ subscribe: { channel: 'c4' } }), { err: 'CHANNEL_NOT_FOUND' }, 'the vhost is full: no new channel')
  t.same(await front.request({ subscribe: { channel: 'c1' } }), { subscribed: 'c1' }, 'existing channels still open')

  // Admin-created channels are not counted and can be joined.
  const made = await request(app.url, 'POST', '/api/webrocket/vhosts/echo/channels', { apiKey, body: { name: 'admin-made' } })
  t.equal(made.status, 201)
  t.same(await front.request({ subscribe: { channel: 'admin-made' } }), { subscribed: 'admin-made' })
  t.same(await front.request({ subscribe: { channel: 'c4' } }), { err: 'CHANNEL_NOT_FOUND' })

  // Another vhost has its own quota.
  const other = await client(app.wsUrl, '/webrocket/other', 'back', 'other-secret')
  t.same(await other.request({ subscribe: { channel: 'c4' } }), { subscribed: 'c4' })

  // Deleting a client-created channel gives its place back; deleting an admin one does not add one.
  t.equal((await request(app.url, 'DELETE', '/api/webrocket/vhosts/echo/channels/admin-made', { apiKey })).status, 204)
  t.same(await front.request({ subscribe: { channel: 'c4' } }), { err: 'CHANNEL_NOT_FOUND' })
  t.equal((await request(app.url, 'DELETE', '/api/webrocket/vhosts/echo/channels/c2', { apiKey })).status, 204)
  t.same(await front.request({ subscribe: { channel: 'c4' } }), { subscribed: 'c4' })
  t.same(await front.request({ subscribe: { channel: 'c5' } }), { err: 'CHANNEL_NOT_FOUND' })
  // Clearing the vhost empties the quota.
  t.equal((await request(app.url, 'DELETE', '/api/webrocket/vhosts/echo/channels', { apiKey })).status, 204)
  for (const c of ['n1', 'n2', 'n3']) t.same(await front.request({ subscribe: { channel: c } }), { subscribed: c })
  t.same(await front.request({ subscribe: { channel: 'n4' } }), { err: 'CHANNEL_NOT_FOUND' })
  front.close()
  other.close()
})

t.test('the channel quota holds across a cluster (PostgreSQL, two nodes creating at once)', async (t) => {
  const shared = await sharedClusterOverrides(t)
  const config = { ...shared, protocols: { webrocket: { vhosts: ECHO } }, limits: { channelsPerVhost: 10 } }
  const a = await startApp(t, config)
  const b = await startApp(t, config)
  const clients = await Promise.all([
    client(a.wsUrl, '/webrocket/echo', 'front', 'read-secret'),
    client(b.wsUrl, '/webrocket/echo', 'front', 'read-secret'),
    client(a.wsUrl, '/webrocket/echo', 'no-secret'),
    client(b.wsUrl, '/webrocket/echo', 'no-secret'),
  ])
  // 4 connections × 8 new channels each, all at once: exactly 10 may be created.
  const replies = await Promise.all(clients.map(async (ws, i) => {
    for (let n = 0; n < 8; n++) ws.send({ subscribe: { channel: `k${i}-${n}` } })
    const got: unknown[] = []
    for (let n = 0; n < 8; n++) got.push(await ws.json(5000))
    return got
  }))
  const all = replies.flat()
  t.equal(all.filter((r) => (r as { subscribed?: string }).subscribed !== undefined).length, 10, 'ten created')
  t.equal(all.filter((r) => (r as { err?: string }).err === 'CHANNEL_NOT_FOUND').length, 22, 'the rest refused')
  const { body } = await request(a.url, 'GET', '/api/webrocket/vhosts/echo/channels', { apiKey })
  t.equal(body.channels.length, 10)
  for (const ws of clients) ws.close()
})
