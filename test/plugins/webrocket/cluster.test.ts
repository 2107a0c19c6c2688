import t from 'tap'
import { request, sharedClusterOverrides, startApp, TEST_API_KEY } from '../../helpers/app.js'
import { ECHO, type Teardown, client, nextTwo, requestUntil, upgradeStatus } from './fixture.js'
import { QUIET_CLUSTER } from '../../helpers/quiet.js'

// Two nodes sharing Redis and PostgreSQL (design.md §2): fan-out, channels, vhosts and users
// are cluster-wide.

const apiKey = TEST_API_KEY

async function cluster (t: Teardown) {
  const shared = await sharedClusterOverrides(t)
  const overrides = { ...shared, protocols: { webrocket: { vhosts: ECHO } } }
  // One after the other, so the second node finds the schema migrated and re-seeds the same config.
  const a = await startApp(t, overrides)
  return [a, await startApp(t, overrides)] as const
}

t.test('broadcasts, channels and REST publishing cross nodes', async (t) => {
  const [a, b] = await cluster(t)
  const onA = await client(a.wsUrl, '/webrocket/echo', 'back', 'read-write-secret')
  const onB = await client(b.wsUrl, '/webrocket/echo', 'front', 'read-secret')
  // A channel made by a subscribe on B exists for A at once (CHANNEL_NOT_FOUND is cluster-wide).
  t.same(await onA.request({ broadcast: { event: 'e', channel: 'hello' } }), { err: 'CHANNEL_NOT_FOUND' })
  t.same(await onB.request({ subscribe: { channel: 'hello' } }), { subscribed: 'hello' })
  t.same(await onA.request({ broadcast: { event: 'foo', channel: 'hello', data: 'bar' } }), { broadcasted: 'hello' })
  t.equal(await onB.next(), '{"event":"foo","channel":"hello","data":"bar"}')

  const sent = await request(a.url, 'POST', '/api/webrocket/vhosts/echo/broadcast', { apiKey, body: { channel: 'hello', event: 'server', data: [1] } })
  t.equal(sent.status, 200)
  t.same(await onB.json(), { event: 'server', channel: 'hello', data: [1] })

  // Subscribers on both nodes, one publish.
  t.same(await onA.request({ subscribe: { channel: 'hello' } }), { subscribed: 'hello' })
  onA.send({ broadcast: { event: 'both', channel: 'hello' } })
  t.same(await nextTwo(onA), [{ broadcasted: 'hello' }, { event: 'both', channel: 'hello' }])
  t.same(await onB.json(), { event: 'both', channel: 'hello' })
  await onB.expectNothing(QUIET_CLUSTER) // exactly once

  // Vhost isolation holds across nodes as well.
  const otherOnA = await client(a.wsUrl, '/webrocket/other', 'back', 'other-secret')
  t.same(await otherOnA.request({ subscribe: { channel: 'hello' } }), { subscribed: 'hello' })
  otherOnA.send({ broadcast: { event: 'other', channel: 'hello' } })
  t.same(await nextTwo(otherOnA), [{ broadcasted: 'hello' }, { event: 'other', channel: 'hello' }])
  await onB.expectNothing(QUIET_CLUSTER)

  // A channel deleted through node A stops reaching subscribers on node B.
  t.equal((await request(a.url, 'DELETE', '/api/webrocket/vhosts/echo/channels/hello', { apiKey })).status, 204)
  t.same(await requestUntil(onB, { unsubscribe: { channel: 'hello' } }, { err: 'CHANNEL_NOT_FOUND' }), { err: 'CHANNEL_NOT_FOUND' })
  t.same(await onA.request({ subscribe: { channel: 'hello' } }), { subscribed: 'hello' }, 'created again')
  onA.send({ broadcast: { event: 'after', channel: 'hello' } })
  t.same(await nextTwo(onA), [{ broadcasted: 'hello' }, { event: 'after', channel: 'hello' }])
  await onB.expectNothing(QUIET_CLUSTER) // B's subscriber was dropped with the old channel
  for (const ws of [onA, onB, otherOnA]) ws.close()
})

t.test('vhosts and users added on one node are usable on the other at once', async (t) => {
  const [a, b] = await cluster(t)
  const created = await request(a.url, 'POST', '/api/webrocket/vhosts', { apiKey, body: { path: '/live', users: [{ name: 'u', secret: 's', permissions: ['READ', 'WRITE'] }] } })
  t.equal(created.status, 201)
  const onB = await client(b.wsUrl, '/webrocket/live', 'u', 's')
  t.equal((await request(a.url, 'POST', '/api/webrocket/vhosts/live/users', { apiKey, body: { name: 'v', secret: 'w' } })).status, 201)
  const vOnB = await client(b.wsUrl, '/webrocket/live', 'v', 'w')
  t.same(await vOnB.request({ subscribe: { channel: 'c' } }), { subscribed: 'c' })

  // Permission changes and removals made on A reach the sessions on B.
  t.equal((await request(a.url, 'PUT', '/api/webrocket/vhosts/live/users/u', { apiKey, body: { secret: 's', permissions: ['READ'] } })).status, 200)
  const reply = await requestUntil(onB, { broadcast: { event: 'e', channel: 'c' } }, { err: 'ACCESS_DENIED' })
  t.same(reply, { err: 'ACCESS_DENIED' }, 'WRITE withdrawn on the other node')
  t.equal((await request(a.url, 'DELETE', '/api/webrocket/vhosts/live/users/v', { apiKey })).status, 204)
  t.equal((await vOnB.closed()).code, 1008)

  // A vhost deleted on A closes its connections on B and disappears there.
  t.equal((await request(a.url, 'DELETE', '/api/webrocket/vhosts/live', { apiKey })).status, 204)
  t.equal((await onB.closed()).code, 1001)
  t.equal(await upgradeStatus(`${b.wsUrl}/webrocket/live`), 404)
})
