import t, { type Test } from 'tap'
import type { EphemeralStore } from '../../../src/core/state/store.js'
import { eventually } from '../../helpers/ws-client.js'
import { QUIET_CLUSTER } from '../../helpers/quiet.js'
import { startApp } from '../../helpers/app.js'
import { clusterOf, connected, crash, emit, frames, open, redisOf, subscribe, telegraphyOverrides } from './helpers.js'

// Issue 18: the sessions of a node that dies are adopted by a survivor once its heartbeat is
// dead (plugins/telegraphy/rescue.ts), so the events emitted while it is dead are kept for their
// RECONNECT — on another node, or on the node's own next incarnation (README "A node that dies").

const liveKey = (token: string) => `telegraphy:live:${token}`
const sessionKey = (token: string) => `telegraphy:session:${token}`
const NODES_KEY = 'telegraphy:nodes'
const TIMERS = { nodeHeartbeat: 100, reconnectWindow: 3000, handoverTimeout: 300 }

/** The node holding a connected session (its live record's holder). */
async function holderOf (store: EphemeralStore, token: string): Promise<string> {
  const raw = await store.get(liveKey(token))
  if (raw === null) throw new Error('no live record')
  return JSON.parse(raw).holder as string
}

/** Resolves once a survivor has taken over every session of `node` (it leaves the node list then). */
function takenOver (store: EphemeralStore, node: string, timeout = 3000): Promise<void> {
  return eventually(async () => !(await store.hashGetAll(NODES_KEY)).has(node), timeout, `node ${node} taken over`)
}

/** RECONNECTs on `wsUrl` and returns the client and the `n` of the `count` events replayed. */
async function resume (wsUrl: string, sessionToken: string, count: number) {
  const back = await open(wsUrl)
  const reply = await back.request({ message: 'RECONNECT', id: 2, session_token: sessionToken })
  return { back, reply, replayed: (await frames(back, count)).map((e) => e.data.n) }
}

/**
 * `count` nodes of one cluster and a client of the first one subscribed to `demo.Item`; `nodeA`
 * is that first node's id, `store` the last node's store.
 */
async function subscribedCluster (t: Test, count: number) {
  const { nodes, more } = await clusterOf(t, count, TIMERS)
  const [a] = nodes
  const store = nodes[count - 1].app.services.store
  const { client, sessionToken } = await connected(a.url, a.wsUrl)
  await subscribe(client, 1, { event_name: 'demo.Item' })
  return { a, b: nodes[1], more, store, client, sessionToken, nodeA: await holderOf(store, sessionToken) }
}

t.test('a node dies with a connected session: a survivor adopts it, the events emitted meanwhile are replayed at RECONNECT', async (t) => {
  const { a, b, store, client, sessionToken, nodeA } = await subscribedCluster(t, 2)
  await crash(a.app)
  client.close()

  await takenOver(store, nodeA)
  t.equal(b.app.services.hub.subscriberCount('telegraphy:demo.Item'), 1, 'B keeps the session')
  await emit(b.url, 'demo.Item', { n: 1 })
  await emit(b.url, 'demo.Item', { n: 2 })
  const { back, reply, replayed } = await resume(b.wsUrl, sessionToken, 2)
  t.match(reply, { success: true, status: 'CONNECTED', id: 2, subscriptions: [{ event_name: 'demo.Item' }] })
  t.same(replayed, [1, 2], 'the events emitted while A was dead, in order')
  await back.expectNothing(QUIET_CLUSTER)
  await emit(b.url, 'demo.Item', { n: 3 })
  t.match(await back.json(), { data: { n: 3 } }, 'live on B')
  await eventually(() => b.app.services.hub.subscriberCount('telegraphy:demo.Item') === 1, 2000, 'the adopted copy let go')
})

t.test('a node dies keeping a dropped session: a survivor goes on keeping its events', async (t) => {
  const { a, b, store, client, sessionToken, nodeA } = await subscribedCluster(t, 2)
  client.close()
  await eventually(async () => (await store.get(sessionKey(sessionToken))) !== null, 2000, 'session dropped on A')
  await emit(b.url, 'demo.Item', { n: 1 })
  const { redis, key } = redisOf(t, b.app)
  await eventually(async () => (await redis.llen(key(`telegraphy:missed:${sessionToken}`))) === 1, 2000, 'kept by A')
  await crash(a.app)

  await takenOver(store, nodeA)
  await emit(b.url, 'demo.Item', { n: 2 })
  const { back, reply, replayed } = await resume(b.wsUrl, sessionToken, 2)
  t.match(reply, { status: 'CONNECTED', subscriptions: [{ event_name: 'demo.Item' }] })
  t.same(replayed, [1, 2], 'what A kept before it died, then what B kept after')
  await back.expectNothing(QUIET_CLUSTER)
})

for (const late of [true, false]) {
  t.test(`a single node with Redis crashes and restarts ${late ? 'once its beat expired: taken over as the new one starts' : 'at once: taken over within three heartbeats'}`, async (t) => {
    const { a, more, client, sessionToken, nodeA } = await subscribedCluster(t, 1)
    await crash(a.app)
    client.close()
    if (late) {
      // A process restart takes longer than three beats.
      const { redis, key } = redisOf(t, a.app)
      await eventually(async () => (await redis.exists(key(`telegraphy:node:${nodeA}`))) === 0, 2000, 'the old beat expired')
    }
    const restarted = await more()
    const store = restarted.app.services.store
    if (late) t.notOk((await store.hashGetAll(NODES_KEY)).has(nodeA), 'taken over before it served anyone')
    else await takenOver(store, nodeA)
    t.equal((await store.hashGetAll(NODES_KEY)).size, 1, 'the new incarnation is listed, under its own id')
    await emit(restarted.url, 'demo.Item', { n: 1 })
    const { back, reply, replayed } = await resume(restarted.wsUrl, sessionToken, 1)
    t.match(reply, { status: 'CONNECTED', subscriptions: [{ event_name: 'demo.Item' }] })
    t.same(replayed, [1], 'the event emitted after the restart, before the RECONNECT')
    await back.expectNothing(QUIET_CLUSTER)
  })
}

t.test('a single node with Redis stopped gracefully: the next one to start keeps its dropped sessions\' events', async (t) => {
  const { a, more, client, sessionToken, nodeA } = await subscribedCluster(t, 1)
  await a.app.close()
  t.equal((await client.closed()).code, 1001)

  const restarted = await more()
  t.notOk((await restarted.app.services.store.hashGetAll(NODES_KEY)).has(nodeA), 'no node adopted at the stop: the next one took it over as it started')
  await emit(restarted.url, 'demo.Item', { n: 1 })
  const { reply, replayed } = await resume(restarted.wsUrl, sessionToken, 1)
  t.match(reply, { status: 'CONNECTED' })
  t.same(replayed, [1])
})

t.test('a node stopped with every session adopted is forgotten; a node without Redis lists nothing', async (t) => {
  const { a, store, sessionToken, nodeA } = await subscribedCluster(t, 2)
  t.ok((await store.hashGetAll(NODES_KEY)).has(nodeA))
  t.ok((await store.hashGetAll(`telegraphy:held:${nodeA}`)).has(sessionToken), 'the connected session is in its node\'s index')
  await a.app.close()
  t.notOk((await store.hashGetAll(NODES_KEY)).has(nodeA), 'adopted by B: nothing left to take over')
  t.equal((await store.hashGetAll(`telegraphy:held:${nodeA}`)).size, 0)

  // In process: nobody outlives the process to read a list.
  const single = await startApp(t, telegraphyOverrides(TIMERS))
  const alone = await connected(single.url, single.wsUrl)
  await subscribe(alone.client, 1, { event_name: 'demo.Item' })
  t.equal((await single.app.services.store.hashGetAll(NODES_KEY)).size, 0)
})

t.test('a take-over another node claimed, or that failed, is tried again once the claim expires; an unreadable list is read again', async (t) => {
  const { nodes: [a] } = await clusterOf(t, 1, { ...TIMERS, reconnectWindow: 300, handoverTimeout: 100 })
  const store = a.app.services.store
  const { redis, key } = redisOf(t, a.app)
  const [self] = (await store.hashGetAll(NODES_KEY)).keys()
  const beats = async (count: number) => {
    const seen = new Set<string | null>()
    await eventually(async () => seen.add(await store.get(`telegraphy:node:${self}`)).size > count, 2000, `${count} beats`)
  }
  // The list is not a hash for a while: each look fails, and the node goes on beating.
  await redis.del(key(NODES_KEY))
  await redis.set(key(NODES_KEY), 'not a hash')
  await beats(2)
  await redis.del(key(NODES_KEY))
  await store.hashSet(NODES_KEY, self, '1')

  // A node that died long ago: another survivor claims it, then its index cannot be read (WRONGTYPE).
  await redis.set(key('telegraphy:rescue:ghost'), 'another-node', 'PX', 1000)
  await redis.set(key('telegraphy:held:ghost'), 'not a hash')
  await store.hashSet(NODES_KEY, 'ghost', '1')
  await eventually(async () => (await store.get('telegraphy:rescue:ghost')) === self, 3000, 'claimed by A once the other claim expired')
  t.ok((await store.hashGetAll(NODES_KEY)).has('ghost'), 'not forgotten: its sessions were not taken over')
  await redis.del(key('telegraphy:held:ghost'))
  await takenOver(store, 'ghost')
  const { client } = await connected(a.url, a.wsUrl)
  await subscribe(client, 1, { event_name: 'demo.Item' })
})
