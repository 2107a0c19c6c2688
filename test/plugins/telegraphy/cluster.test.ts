import t from 'tap'
import { request, TEST_API_KEY } from '../../helpers/app.js'
import { eventually } from '../../helpers/ws-client.js'
import { authToken, clusterOf, connected, crash, emit, frames, open, redisOf, subscribe } from './helpers.js'
import { QUIET_CLUSTER } from '../../helpers/quiet.js'

async function twoNodes (t: { teardown (fn: () => unknown): void }, extra: Record<string, unknown> = {}) {
  return (await clusterOf(t, 2, extra)).nodes
}

t.test('an auth token is single-use across the cluster: of concurrent CONNECTs on two nodes exactly one wins', async (t) => {
  const [a, b] = await twoNodes(t)
  for (let round = 0; round < 3; round++) {
    const token = await authToken(a.url)
    const clients = await Promise.all([a, b, a, b, a, b].map((node) => open(node.wsUrl)))
    for (const c of clients) c.send({ message: 'CONNECT', id: 0, args: { auth_token: token } })
    const replies = await Promise.all(clients.map((c) => c.json()))
    t.same(replies.map((r) => r.status).sort(), ['CONNECTED', 'INVALID_TOKEN', 'INVALID_TOKEN', 'INVALID_TOKEN', 'INVALID_TOKEN', 'INVALID_TOKEN'], `round ${round}`)
    await Promise.all(clients.filter((_c, i) => replies[i].status === 'INVALID_TOKEN').map((c) => c.closed()))
  }
})

t.test('auth tokens expire after authTokenTtl', async (t) => {
  const [a, b] = await twoNodes(t, { authTokenTtl: 100 })
  const token = await authToken(a.url)
  await eventually(async () => (await a.app.services.store.get(`once:telegraphy:${token}`)) === null, 2000, 'token expired')
  const client = await open(b.wsUrl)
  t.match(await client.request({ message: 'CONNECT', id: 0, args: { auth_token: token } }), { status: 'INVALID_TOKEN' })
  await client.closed()
})

t.test('events and the runtime registry reach every node', async (t) => {
  const [a, b] = await twoNodes(t)
  const onA = (await connected(a.url, a.wsUrl)).client
  const onB = (await connected(b.url, b.wsUrl)).client
  t.match(await onB.request({ message: 'SUBSCRIBE', id: 1, args: { event_name: 'runtime.Thing' } }), { status: 'EVENT_NOT_REGISTERED' })
  await subscribe(onA, 1, { event_name: 'runtime.Thing', lazy: true })
  await emit(a.url, 'runtime.Thing', { n: 1 })
  t.match(await onA.json(), { name: 'runtime.Thing', data: { n: 1 } })
  await subscribe(onB, 2, { event_name: 'runtime.Thing', filters: { n: 2 } })
  await emit(a.url, 'runtime.Thing', { n: 2 })
  t.match(await onB.json(), { data: { n: 2 } }, 'from node A to node B')
  t.match(await onA.json(), { data: { n: 2 } })
  await emit(b.url, 'runtime.Thing', { n: 3 })
  t.match(await onA.json(), { data: { n: 3 } }, 'from node B to node A')
  await onB.expectNothing(QUIET_CLUSTER)
})

t.test('RECONNECT on a second node: subscriptions restored, missed events once and in order', async (t) => {
  const [a, b] = await twoNodes(t)
  const { client, sessionToken } = await connected(a.url, a.wsUrl)
  await subscribe(client, 1, { event_name: 'demo.Item', filters: { keep: true } })
  client.close()
  await eventually(async () => (await a.app.services.store.get(`telegraphy:session:${sessionToken}`)) !== null, 2000, 'session kept')
  await emit(a.url, 'demo.Item', { id: 1, keep: true })
  await emit(b.url, 'demo.Item', { id: 2, keep: false })
  await emit(b.url, 'demo.Item', { id: 3, keep: true })
  await emit(a.url, 'demo.Item', { id: 4, keep: true })

  const back = await open(b.wsUrl)
  t.match(await back.request({ message: 'RECONNECT', id: 7, session_token: sessionToken }), {
    success: true, status: 'CONNECTED', id: 7, subscriptions: [{ event_name: 'demo.Item', filters: { keep: true } }],
  })
  t.same((await frames(back, 3)).map((e) => e.data.id), [1, 3, 4])
  await back.expectNothing(QUIET_CLUSTER)
  await emit(a.url, 'demo.Item', { id: 5, keep: true })
  t.match(await back.json(), { data: { id: 5 } }, 'live on node B')
  await back.expectNothing(QUIET_CLUSTER)
  await eventually(() => a.app.services.hub.subscriberCount('telegraphy:demo.Item') === 0, 2000, 'node A let go of the session')
})

t.test('hand-over while events keep coming: none lost, none twice, each publisher in order', async (t) => {
  const [a, b] = await twoNodes(t, { reconnectWindow: 3000 })
  const { client, sessionToken } = await connected(a.url, a.wsUrl)
  await subscribe(client, 1, { event_name: 'demo.Item' })
  client.close()
  await eventually(async () => (await a.app.services.store.get(`telegraphy:session:${sessionToken}`)) !== null, 2000, 'session kept')

  const count = 40
  let sent = 0
  const stream = async (node: { app: typeof a.app }, from: string) => {
    for (let n = 1; n <= count; n++) {
      await node.app.telegraphy.emit('demo.Item', { data: { from, n } })
      sent++
    }
  }
  const streams = Promise.all([stream(a, 'a'), stream(b, 'b')])
  await eventually(() => sent >= 10, 2000, 'streams started')
  const back = await open(b.wsUrl)
  t.match(await back.request({ message: 'RECONNECT', id: 1, session_token: sessionToken }), { status: 'CONNECTED' })
  await streams
  const got = await frames(back, 2 * count)
  for (const from of ['a', 'b']) {
    t.same(got.filter((e) => e.data.from === from).map((e) => e.data.n), Array.from({ length: count }, (_v, i) => i + 1), `publisher ${from}`)
  }
  await back.expectNothing(QUIET_CLUSTER)
})

t.test('RECONNECT when the old node died: the kept events are still delivered after handoverTimeout', async (t) => {
  const [a, b] = await twoNodes(t, { reconnectWindow: 3000, handoverTimeout: 200 })
  const { client, sessionToken } = await connected(a.url, a.wsUrl)
  await subscribe(client, 1, { event_name: 'demo.Item' })
  client.close()
  await eventually(async () => (await a.app.services.store.get(`telegraphy:session:${sessionToken}`)) !== null, 2000, 'session kept')
  await emit(b.url, 'demo.Item', { id: 1 })
  // Node A has kept the event once it is in the store list (peeked without draining it).
  const { redis, key } = redisOf(t, a.app)
  await eventually(async () => (await redis.llen(key(`telegraphy:missed:${sessionToken}`))) === 1, 2000, 'event kept by node A')
  // Died, not stopped: a graceful stop would have had node B adopt the session.
  await crash(a.app)
  const back = await open(b.wsUrl)
  t.match(await back.request({ message: 'RECONNECT', id: 1, session_token: sessionToken }), { status: 'CONNECTED' })
  t.match(await back.json(), { data: { id: 1 } })
  await emit(b.url, 'demo.Item', { id: 2 })
  t.match(await back.json(), { data: { id: 2 } })
})

t.test('a socket lost during its own RECONNECT leaves the session resumable with its events', async (t) => {
  const [a, b] = await twoNodes(t, { reconnectWindow: 3000, handoverTimeout: 300 })
  const { client, sessionToken } = await connected(a.url, a.wsUrl)
  await subscribe(client, 1, { event_name: 'demo.Item' })
  client.close()
  const kept = () => eventually(async () => (await b.app.services.store.get(`telegraphy:session:${sessionToken}`)) !== null, 2000, 'session kept')
  await kept()
  await emit(b.url, 'demo.Item', { id: 1 })
  const { redis, key } = redisOf(t, a.app)
  await eventually(async () => (await redis.llen(key(`telegraphy:missed:${sessionToken}`))) === 1, 2000, 'event kept by node A')
  // Node A died (its heartbeat still looks recent), so the RECONNECT on B waits handoverTimeout
  // for its answer; the client leaves meanwhile.
  await crash(a.app)
  const hasty = await open(b.wsUrl)
  hasty.send({ message: 'RECONNECT', id: 1, session_token: sessionToken })
  await eventually(async () => (await b.app.services.store.get(`telegraphy:session:${sessionToken}`)) === null, 2000, 'session taken')
  hasty.close()
  await kept()
  await emit(b.url, 'demo.Item', { id: 2 })

  const back = await open(b.wsUrl)
  t.match(await back.request({ message: 'RECONNECT', id: 2, session_token: sessionToken }), { status: 'CONNECTED', id: 2, subscriptions: [{ event_name: 'demo.Item' }] })
  t.same((await frames(back, 2)).map((e) => e.data.id), [1, 2])
  await back.expectNothing(QUIET_CLUSTER)
})

t.test('a user removed on node A: its live session on node B closes (1008) and its dropped one there ends', async (t) => {
  const [a, b] = await twoNodes(t)
  const dave = { username: 'dave', password: 'dave-pass-123' }
  t.equal((await request(a.url, 'POST', '/api/admin/users', { apiKey: TEST_API_KEY, body: dave })).status, 201)
  const live = await connected(b.url, b.wsUrl, { user: dave })
  const dropped = await connected(b.url, b.wsUrl, { user: dave })
  const other = await connected(b.url, b.wsUrl)
  await subscribe(dropped.client, 1, { event_name: 'demo.Item' })
  await subscribe(other.client, 1, { event_name: 'demo.Item' })
  dropped.client.close()
  await eventually(async () => (await b.app.services.store.get(`telegraphy:session:${dropped.sessionToken}`)) !== null, 2000, 'session kept')

  t.equal((await request(a.url, 'DELETE', '/api/admin/users/dave', { apiKey: TEST_API_KEY })).status, 204)
  t.same(await live.client.closed(), { code: 1008, reason: 'user removed' })
  await eventually(() => b.app.services.hub.subscriberCount('telegraphy:demo.Item') === 1, 2000, 'the kept session let go of its topic')
  const back = await open(a.wsUrl)
  t.match(await back.request({ message: 'RECONNECT', id: 1, session_token: dropped.sessionToken }), { status: 'INVALID_SESSION' })
  await back.closed()
  t.equal(other.client.closeInfo, null, 'other users keep their sessions')
})
