import t, { type Test } from 'tap'
import { request, startApp, TEST_API_KEY, type RunningApp } from '../../helpers/app.js'
import { ADMIN, ALICE } from '../../helpers/config.js'
import type { WsClient } from '../../helpers/ws-client.js'
import { authorizedClient, dasOverrides, oauthToken, openClient } from '../../plugins/das/das-client.js'
import { anonymousToken, connect as reallyConnect, initialized, startReally } from '../../plugins/really/helpers.js'
import { authed, connect as syscacheConnect, events, rpc, syscacheApp } from '../../plugins/syscache/helpers.js'
import { connected, emit, open as telegraphyOpen, subscribe, telegraphyOverrides } from '../../plugins/telegraphy/helpers.js'
import { client as webrocketClient, overrides as webrocketOverrides } from '../../plugins/webrocket/fixture.js'
import { scrape, scrapeUntil, type Scrape } from './scrape.js'

// Real traffic on each protocol moves its series in /metrics: opened, authenticated (and a
// refused credential), subscribed, delivered, closed. Each protocol's flow is its own subtest.

interface Flow {
  /** Connections the flow opened (all closed by its end). */
  opened: number
  /** How many closed with each close code label. */
  codes: Record<string, number>
}

/** Asserts while the flow's connections are open: gauges of live connections and subscriptions. */
async function live (t: Test, url: string, protocol: string, connections: number, subscriptions: number): Promise<void> {
  const s = await scrape(url)
  t.equal(s.value('switchboard_connections', { protocol }), connections, `${protocol}: ${connections} open`)
  t.equal(s.value('switchboard_subscriptions', { protocol }), subscriptions, `${protocol}: ${subscriptions} subscriptions`)
  t.ok(s.value('switchboard_hub_deliveries_total', { protocol }) >= 1, `${protocol}: hub deliveries counted`)
  t.ok(s.value('switchboard_hub_delivery_latency_seconds_count', { protocol }) >= 1, `${protocol}: delivery latency observed`)
}

/** Asserts once every connection of the flow closed: the counters kept what they counted. */
async function ended (t: Test, url: string, protocol: string, flow: Flow): Promise<Scrape> {
  const s = await scrapeUntil(url, (s) => s.value('switchboard_connections_closed_total', { protocol }) === flow.opened, `${protocol} connections closed`)
  t.equal(s.value('switchboard_connections', { protocol }), 0, `${protocol}: none open`)
  t.equal(s.value('switchboard_subscriptions', { protocol }), 0, `${protocol}: no subscriptions left`)
  t.equal(s.value('switchboard_connections_opened_total', { protocol }), flow.opened, `${protocol}: opened`)
  for (const [code, n] of Object.entries(flow.codes)) t.equal(s.value('switchboard_connections_closed_total', { protocol, code }), n, `${protocol}: ${n} closed with code ${code}`)
  t.equal(s.value('switchboard_auth_total', { protocol, result: 'success' }), 1, `${protocol}: one credential accepted`)
  t.equal(s.value('switchboard_auth_total', { protocol, result: 'failure' }), 1, `${protocol}: one credential refused`)
  t.equal(s.value('switchboard_auth_total', { protocol, result: 'throttled' }), 0, `${protocol}: none throttled`)
  t.ok(s.value('switchboard_frames_received_total', { protocol }) >= 2, `${protocol}: frames received`)
  t.ok(s.value('switchboard_frames_sent_total', { protocol }) >= 2, `${protocol}: frames sent`)
  t.ok(s.value('switchboard_bytes_sent_total', { protocol }) > s.value('switchboard_frames_sent_total', { protocol }), `${protocol}: bytes sent`)
  t.ok(s.value('switchboard_bytes_received_total', { protocol }) > 0, `${protocol}: bytes received`)
  t.ok(s.value('switchboard_hub_publishes_total', { protocol }) >= 1, `${protocol}: hub publishes`)
  return s
}

async function fresh (t: Test, app: RunningApp, protocol: string): Promise<void> {
  const s = await scrape(app.url)
  t.equal(s.value('switchboard_connections_opened_total', { protocol }), 0, `${protocol}: nothing counted yet`)
}

t.test('webrocket', async (t) => {
  const app = await startApp(t, webrocketOverrides())
  await fresh(t, app, 'webrocket')
  const refused = await webrocketClient(app.wsUrl)
  t.ok((await refused.request({ authenticate: { user: 'back', secret: 'wrong' } })).err, 'a wrong secret')
  const subscriber = await webrocketClient(app.wsUrl, '/webrocket/echo', 'back', 'read-write-secret')
  t.same(await subscriber.request({ subscribe: { channel: 'metrics' } }), { subscribed: 'metrics' })
  const { status } = await request(app.url, 'POST', '/api/webrocket/vhosts/echo/broadcast', { apiKey: TEST_API_KEY, body: { channel: 'metrics', event: 'e', data: { n: 1 } } })
  t.equal(status, 200)
  t.same(JSON.parse(await subscriber.next()), { event: 'e', channel: 'metrics', data: { n: 1 } }, 'delivered')
  await live(t, app.url, 'webrocket', 2, 1)
  for (const ws of [refused, subscriber]) ws.close()
  await ended(t, app.url, 'webrocket', { opened: 2, codes: { 1005: 2 } })
})

t.test('syscache', async (t) => {
  const app = await syscacheApp(t)
  await fresh(t, app, 'syscache')
  const refused = await syscacheConnect(t, app)
  t.equal((await refused.request(rpc('auth', { username: ADMIN.username, password: 'wrong' }))).name, 'error', 'a wrong password')
  const { client } = await authed(t, app)
  t.equal((await client.request(events('subscribe', ['dispatcher']))).name, 'response')
  t.equal((await request(app.url, 'POST', '/api/syscache/events/dispatcher', { apiKey: TEST_API_KEY, body: { n: 1 } })).status, 204)
  t.match(await client.json(), { namespace: 'events' }, 'delivered')
  await live(t, app.url, 'syscache', 2, 1)
  for (const ws of [refused, client]) ws.close()
  await ended(t, app.url, 'syscache', { opened: 2, codes: { 1005: 2 } })
})

t.test('telegraphy', async (t) => {
  const app = await startApp(t, telegraphyOverrides())
  await fresh(t, app, 'telegraphy')
  const refused = await telegraphyOpen(app.wsUrl)
  t.match(await refused.request({ message: 'CONNECT', id: 0, args: { auth_token: 'not-a-token' } }), { success: false }, 'an unknown auth token')
  const { client } = await connected(app.url, app.wsUrl)
  await subscribe(client, 1, { event_name: 'demo.Item' })
  t.equal(await emit(app.url, 'demo.Item', { n: 1 }), true)
  t.match(await client.json(), { event: 'demo.Item', data: { n: 1 } }, 'delivered')
  t.match(await refused.closed(), { code: 1008 }, 'the refused client is closed by the server')
  await live(t, app.url, 'telegraphy', 1, 1)
  client.close()
  await ended(t, app.url, 'telegraphy', { opened: 2, codes: { 1008: 1, 1005: 1 } })
})

t.test('really', async (t) => {
  const app = await startReally(t)
  await fresh(t, app, 'really')
  const refused = await reallyConnect(t, app)
  t.match(await refused.request({ tag: 1, cmd: 'initialize', accessToken: 'not-a-token' }), { error: {} }, 'a bad access token')
  const client = await initialized(t, app, await anonymousToken(app.url))
  const { r } = await client.request({ tag: 2, cmd: 'create', r: '/users/', body: { name: 'A' } })
  t.same((await client.request({ tag: 3, cmd: 'subscribe', body: { subscriptions: [{ r, rev: 1 }] } })).body.subscriptions, [r])
  client.send({ tag: 4, cmd: 'update', r, rev: 1, body: { ops: [{ op: 'set', key: 'name', value: 'B' }] } })
  // The reply and the push, in either order.
  const frames = [await client.json(), await client.json()]
  t.ok(frames.some((f) => f.tag === 4 && f.rev === 2), 'updated')
  t.ok(frames.some((f) => f.evt === 'updated' && f.r === r), 'delivered')
  await live(t, app.url, 'really', 2, 1)
  for (const ws of [refused, client] as WsClient[]) ws.close()
  await ended(t, app.url, 'really', { opened: 2, codes: { 1005: 2 } })
})

t.test('das', async (t) => {
  const app = await startApp(t, dasOverrides())
  await fresh(t, app, 'das')
  const refused = await openClient(t, app.url)
  t.match(await refused.authorize('not-a-token'), { status: { code: 401 } }, 'a bad token')
  const client = await authorizedClient(t, app.url, await oauthToken(app.url, ALICE))
  t.equal((await request(app.url, 'POST', '/api/das/emit', { apiKey: TEST_API_KEY, body: { type: 'new_event', data: { event_id: 'e1', event_data: { title: 'one' } } } })).status, 202)
  t.match(await client.next('new_event'), { type: 'new_event', event_id: 'e1' }, 'delivered')
  // Every authorized socket is on three topics: everyone's, its user's and its own.
  await live(t, app.url, 'das', 2, 3)
  refused.close()
  client.close()
  await ended(t, app.url, 'das', { opened: 2, codes: { none: 2 } })
})
