import t from 'tap'
import { request, sharedClusterOverrides, startApp, TEST_API_KEY } from '../../helpers/app.js'
import { client, overrides } from '../../plugins/webrocket/fixture.js'
import { scrape, scrapeUntil } from './scrape.js'

// Each node exposes its own figures: a publish on A delivered to a subscriber on B counts as
// A's publish and B's delivery (with its publish-to-delivery latency across Redis).
t.test('two nodes, each with its own figures', async (t) => {
  const shared = await sharedClusterOverrides(t)
  const a = await startApp(t, { ...shared, ...overrides() })
  const b = await startApp(t, { ...shared, ...overrides() })
  const subscriber = await client(b.wsUrl, '/webrocket/echo', 'back', 'read-write-secret')
  t.same(await subscriber.request({ subscribe: { channel: 'across' } }), { subscribed: 'across' })
  const { status } = await request(a.url, 'POST', '/api/webrocket/vhosts/echo/broadcast', { apiKey: TEST_API_KEY, body: { channel: 'across', event: 'e', data: 1 } })
  t.equal(status, 200)
  t.same(JSON.parse(await subscriber.next()), { event: 'e', channel: 'across', data: 1 }, 'delivered on B')

  const onA = await scrape(a.url)
  const onB = await scrape(b.url)
  const protocol = 'webrocket'
  t.equal(onA.value('switchboard_connections', { protocol }), 0, 'A holds no connection')
  t.equal(onB.value('switchboard_connections', { protocol }), 1, 'B holds the subscriber')
  t.equal(onA.value('switchboard_subscriptions', { protocol }), 0)
  t.equal(onB.value('switchboard_subscriptions', { protocol }), 1)
  t.equal(onA.value('switchboard_hub_publishes_total', { protocol }), 1, 'A published')
  t.equal(onB.value('switchboard_hub_publishes_total', { protocol }), 0, 'B did not')
  t.equal(onA.value('switchboard_hub_deliveries_total', { protocol }), 0, 'nobody on A to deliver to')
  t.equal(onB.value('switchboard_hub_deliveries_total', { protocol }), 1, 'B delivered to its subscriber')
  t.equal(onB.value('switchboard_hub_delivery_latency_seconds_count', { protocol }), 1, 'one latency observed on B')
  t.equal(onB.value('switchboard_hub_delivery_latency_seconds_bucket', { protocol, le: '+Inf' }), 1)
  t.ok(onB.value('switchboard_hub_delivery_latency_seconds_sum', { protocol }) < 1, 'across Redis in well under a second')
  for (const s of [onA, onB]) {
    for (const dependency of ['database', 'store', 'broker']) t.equal(s.value('switchboard_dependency_up', { dependency }), 1, `${dependency} up`)
  }
  subscriber.close()
  await scrapeUntil(b.url, (s) => s.value('switchboard_connections_closed_total', { protocol }) === 1, 'closed on B')
  t.equal((await scrape(a.url)).value('switchboard_connections_closed_total', { protocol }), 0, 'A saw no close')
})

t.test('an unreachable Redis shows as dependencies down', async (t) => {
  const { url } = await startApp(t, { storage: { redis: 'redis://127.0.0.1:1' } })
  const s = await scrape(url)
  t.equal(s.value('switchboard_dependency_up', { dependency: 'database' }), 1)
  t.equal(s.value('switchboard_dependency_up', { dependency: 'store' }), 0)
  t.equal(s.value('switchboard_dependency_up', { dependency: 'broker' }), 0)
})
