import t, { type Test } from 'tap'
import { Redis } from 'ioredis'
import { REDIS_URL } from '../helpers/infra.js'
import { eventually, type WsClient } from '../helpers/ws-client.js'
import { authToken, emit, frames, open as openSocket, subscribe } from '../plugins/telegraphy/helpers.js'
import { startCluster, startNode, type Node } from './harness.js'
import { QUIET_CLUSTER } from '../helpers/quiet.js'

// Telegraphy across real processes (plugins/telegraphy/README.md): one-time auth tokens taken
// atomically in Redis, events fanned out by the Redis broker, dropped sessions kept in the store
// and handed over to whichever node the RECONNECT reaches, adopted when their node stops, and
// connected sessions resumed elsewhere when their node dies.

const configYaml = `protocols:
  telegraphy:
    events: [demo.Item]
    authTokenTtl: 3s
    reconnectWindow: 2s
    handoverTimeout: 300ms
    nodeHeartbeat: 200ms`

async function open (t: Test, node: Node): Promise<WsClient> {
  const client = await openSocket(node.wsUrl)
  t.teardown(() => client.close())
  return client
}

async function connect (t: Test, node: Node, auth: string): Promise<{ client: WsClient, sessionToken: string }> {
  const client = await open(t, node)
  const reply = await client.request({ message: 'CONNECT', id: 1, args: { auth_token: auth } })
  t.match(reply, { success: true, status: 'CONNECTED', id: 1 }, `CONNECT on ${node.name}`)
  return { client, sessionToken: reply.data.session_token }
}

async function reconnect (t: Test, node: Node, sessionToken: string, id = 9): Promise<{ client: WsClient, reply: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const client = await open(t, node)
  return { client, reply: await client.request({ message: 'RECONNECT', id, session_token: sessionToken }) }
}

/** Resolves once the node that held a dropped session has kept `count` events for it in Redis. */
async function kept (t: Test, sessionToken: string, count: number): Promise<void> {
  const redis = new Redis(REDIS_URL)
  t.teardown(() => redis.disconnect())
  await eventually(async () => {
    const [key] = await redis.keys(`*telegraphy:missed:${sessionToken}`)
    return key !== undefined && await redis.llen(key) === count
  }, 3000, `${count} events kept`)
}

/** Resolves once the session record of a dropped connection is in Redis. */
async function detached (t: Test, sessionToken: string): Promise<void> {
  const redis = new Redis(REDIS_URL)
  t.teardown(() => redis.disconnect())
  await eventually(async () => (await redis.keys(`*telegraphy:session:${sessionToken}`)).length === 1, 3000, 'session kept')
}

/** Another node of the same cluster as `like` (same config, Redis and PostgreSQL). */
const startNodeLike = (t: Test, like: Node, name: string): Promise<Node> => startNode(t, name, ...like.shared)

t.test('two Telegraphy nodes', async (t) => {
  const [a, b] = await startCluster(t, 2, { redisUrl: REDIS_URL, configYaml })

  t.test('an auth token issued on A connects once, on B; reused anywhere it is refused', async (t) => {
    const token = await authToken(a.url)
    await connect(t, b, token)
    for (const node of [a, b]) {
      const again = await open(t, node)
      t.match(await again.request({ message: 'CONNECT', id: 2, args: { auth_token: token } }), { success: false, status: 'INVALID_TOKEN', id: 2 }, `reuse on ${node.name}`)
      t.equal((await again.closed()).code, 1008)
    }
  })

  t.test('of concurrent CONNECTs with one token on both nodes exactly one wins', async (t) => {
    const token = await authToken(b.url)
    const clients = await Promise.all([a, b, a, b].map((node) => open(t, node)))
    for (const c of clients) c.send({ message: 'CONNECT', id: 0, args: { auth_token: token } })
    const statuses = (await Promise.all(clients.map((c) => c.json()))).map((r) => r.status)
    t.same(statuses.sort(), ['CONNECTED', 'INVALID_TOKEN', 'INVALID_TOKEN', 'INVALID_TOKEN'])
  })

  t.test('events emitted through one node reach subscribers on the other, filters applied', async (t) => {
    const onA = (await connect(t, a, await authToken(a.url))).client
    const onB = (await connect(t, b, await authToken(a.url))).client
    await subscribe(onB, 2, { event_name: 'demo.Item', filters: { colour: 'red' } })
    await subscribe(onA, 2, { event_name: 'demo.Item' })
    await emit(a.url, 'demo.Item', { colour: 'blue', n: 1 })
    await emit(a.url, 'demo.Item', { colour: 'red', n: 2 })
    t.match(await onB.json(), { event: 'demo.Item', name: 'demo.Item', meta: { event_type: 'custom' }, data: { colour: 'red', n: 2 } }, 'A → B, filtered')
    t.same((await frames(onA, 2)).map((e) => e.data.n), [1, 2])
    await emit(b.url, 'demo.Item', { colour: 'red', n: 3 })
    t.match(await onA.json(), { data: { n: 3 } }, 'B → A')
    t.match(await onB.json(), { data: { n: 3 } })
    await onB.expectNothing(QUIET_CLUSTER)
  })

  t.test('a session dropped on A resumes on B: subscriptions back, missed events once and in order', async (t) => {
    const { client, sessionToken } = await connect(t, a, await authToken(a.url))
    await subscribe(client, 2, { event_name: 'demo.Item', filters: { keep: true }, permanent: true })
    client.close()
    await detached(t, sessionToken)
    await emit(a.url, 'demo.Item', { keep: true, n: 1 })
    await emit(b.url, 'demo.Item', { keep: false, n: 2 })
    await emit(b.url, 'demo.Item', { keep: true, n: 3 })
    await kept(t, sessionToken, 2)

    const { client: back, reply } = await reconnect(t, b, sessionToken)
    t.match(reply, { success: true, status: 'CONNECTED', id: 9, subscriptions: [{ event_name: 'demo.Item', filters: { keep: true }, permanent: true }] })
    t.same((await frames(back, 2)).map((e) => e.data.n), [1, 3], 'the events missed while away')
    await emit(a.url, 'demo.Item', { keep: true, n: 4 })
    t.match(await back.json(), { data: { n: 4 } }, 'live on B')
    await back.expectNothing(QUIET_CLUSTER)

    const { client: thief, reply: refused } = await reconnect(t, a, sessionToken, 10)
    t.match(refused, { success: false, status: 'INVALID_SESSION', id: 10 }, 'a resumed session cannot be resumed again, on any node')
    t.equal((await thief.closed()).code, 1008)
  })

  t.test('a session whose node is killed after the drop resumes on B with the events that node kept', async (t) => {
    const c = await startNodeLike(t, a, 'node2')
    const { client, sessionToken } = await connect(t, c, await authToken(a.url))
    await subscribe(client, 2, { event_name: 'demo.Item' })
    client.close()
    await detached(t, sessionToken)
    await emit(b.url, 'demo.Item', { n: 1 })
    await kept(t, sessionToken, 1)
    const unused = await authToken(c.url)
    await c.kill()

    const { client: back, reply } = await reconnect(t, b, sessionToken)
    t.match(reply, { success: true, status: 'CONNECTED', subscriptions: [{ event_name: 'demo.Item' }] }, 'claimed after handoverTimeout')
    t.match(await back.json(), { data: { n: 1 } }, 'the kept event')
    await emit(a.url, 'demo.Item', { n: 2 })
    t.match(await back.json(), { data: { n: 2 } }, 'live again')

    await connect(t, b, unused)
    const again = await open(t, a)
    t.match(await again.request({ message: 'CONNECT', id: 3, args: { auth_token: unused } }), { status: 'INVALID_TOKEN' }, 'an auth token from the dead node works once, and only once')
  })

  t.test('node stopped gracefully (rolling restart): its client resumes on B within the window', async (t) => {
    const c = await startNodeLike(t, a, 'node3')
    const { client, sessionToken } = await connect(t, c, await authToken(c.url))
    await subscribe(client, 2, { event_name: 'demo.Item', filters: { n: 2 } })
    const stopped = c.stop()
    t.equal((await client.closed(5000)).code, 1001, 'going away')
    t.equal(await stopped, 0, 'clean exit')
    await emit(b.url, 'demo.Item', { n: 2, when: 'away' })

    const { client: back, reply } = await reconnect(t, b, sessionToken)
    t.match(reply, { success: true, status: 'CONNECTED', subscriptions: [{ event_name: 'demo.Item', filters: { n: 2 } }] })
    await emit(a.url, 'demo.Item', { n: 1, when: 'back' })
    await emit(a.url, 'demo.Item', { n: 2, when: 'back' })
    const got = []
    do got.push((await back.json()).data.when)
    while (got.at(-1) !== 'back' && got.length < 3)
    t.equal(got.at(-1), 'back', 'subscription live on B')
    // Another node adopted the dropped session when node3 stopped and kept its events.
    t.same(got, ['away', 'back'], 'the event emitted between the shutdown and the RECONNECT is delivered')
    await back.expectNothing(QUIET_CLUSTER)
  })

  t.test('node killed while its client is connected: RECONNECT on the survivor', async (t) => {
    const { client, sessionToken } = await connect(t, a, await authToken(b.url))
    await subscribe(client, 2, { event_name: 'demo.Item' })
    await a.kill()
    t.equal((await client.closed()).code, 1006, 'the client saw its node die')
    // The survivor waits until the dead node's heartbeat has not changed for three beats.
    const { client: back, reply } = await reconnect(t, b, sessionToken)
    t.match(reply, { success: true, status: 'CONNECTED', subscriptions: [{ event_name: 'demo.Item' }] }, 'session resumed on the survivor')
    await emit(b.url, 'demo.Item', { n: 1 })
    t.match(await back.json(), { data: { n: 1 } })
  })
})
