import t from 'tap'
import { ConnectionDirectory, CONNECTIONS_TOPIC } from '../../../src/core/cluster/connection-directory.js'
import { ConnectionRegistry } from '../../../src/core/connection-registry.js'
import type { Broker } from '../../../src/core/hub/broker.js'
import { ConnectionTopics } from '../../../src/core/hub/connection-topics.js'
import { Hub } from '../../../src/core/hub/hub.js'
import { MemoryBroker } from '../../../src/core/hub/memory-broker.js'
import { RedisBroker } from '../../../src/core/hub/redis-broker.js'
import { REDIS_URL, redisPrefix } from '../../helpers/infra.js'
import { MemoryPresenceSpace, MemoryPresenceStore } from '../../../src/core/presence/memory-presence-store.js'
import { PresenceTracker } from '../../../src/core/presence/presence-tracker.js'
import { FakeConnection, FakeSession, user } from '../connections/fakes.js'

// Several nodes in one process: Redis brokers carry the questions and answers, one in-process
// presence space says who is alive.

interface TestLike { teardown (fn: () => unknown): void }

function nodeOf (t: TestLike, name: string, broker: Broker, space: MemoryPresenceSpace, invalid: unknown[] = []) {
  const hub = new Hub(broker)
  const registry = new ConnectionRegistry({ topics: new ConnectionTopics(hub, () => {}) })
  const store = new MemoryPresenceStore(name, { ttl: 10_000, heartbeat: 1000 }, space)
  const tracker = new PresenceTracker(store)
  registry.observe(tracker)
  const directory = new ConnectionDirectory(hub, registry, store, tracker, 300, (data) => invalid.push(data))
  t.teardown(() => Promise.all([directory.stop(), store.close()]))
  return { hub, registry, store, directory, async start () { await store.start(); await directory.start() } }
}

t.test('list, close and close a user across the nodes; a silent node is reported', async (t) => {
  const prefix = redisPrefix(t)
  const broker = () => {
    const made = new RedisBroker({ url: REDIS_URL, prefix })
    t.teardown(() => made.close())
    return made
  }
  const space = new MemoryPresenceSpace()
  const a = nodeOf(t, 'a', broker(), space)
  const b = nodeOf(t, 'b', broker(), space)
  await Promise.all([a.start(), b.start()])
  const onA = new FakeConnection('webrocket')
  const onB = new FakeConnection('really')
  const aliceOnB = new FakeConnection('das')
  a.registry.add(onA)
  b.registry.add(onB)
  b.registry.add(aliceOnB)
  a.registry.identified(onA, 'joe')
  b.registry.authenticated(aliceOnB, user('alice'), new FakeSession())
  a.registry.subscribed(onA, '/echo/x')
  b.registry.subscribed(aliceOnB, '/das')
  onA.traffic.received(10)

  const all = await a.directory.list({ limit: 10 })
  t.same(all.connections.map((c) => [c.node, c.protocol, c.user, c.subscriptions]).sort(), [
    ['a', 'webrocket', 'joe', ['/echo/x']], ['b', 'das', 'alice', ['/das']], ['b', 'really', null, []],
  ])
  t.match(all, { incomplete: false, missingNodes: [], nextCursor: null })
  t.match(all.connections.find((c) => c.id === onA.id), { framesIn: 1, bytesIn: 10, address: '10.0.0.1' })
  t.same((await b.directory.list({ limit: 10, protocol: 'das' })).connections.map((c) => c.id), [aliceOnB.id])
  t.same((await b.directory.list({ limit: 10, user: 'joe' })).connections.map((c) => c.id), [onA.id])

  let seen: string[] = []
  let cursor: string | undefined
  for (;;) {
    const page = await a.directory.list({ limit: 1, cursor })
    seen = [...seen, ...page.connections.map((c) => c.id)]
    if (page.nextCursor === null) break
    cursor = page.nextCursor
  }
  t.same(seen, [onA.id, onB.id, aliceOnB.id].sort(), 'a page at a time, each once, by id')

  // Really states its own policy; the others get the operator close.
  const policed: string[] = []
  b.directory.closeWith('really', (c) => policed.push(c.id))
  t.match(await a.directory.close(onB.id), { closed: true, incomplete: false })
  t.same(policed, [onB.id])
  t.match(await a.directory.close('nobody'), { closed: false })
  t.match(await a.directory.closeUser('alice'), { closed: 1 })
  t.same(aliceOnB.closedWith, [1008, 'closed by an operator'])
  t.match(await a.directory.closeUser('joe'), { closed: 0 }, 'a vhost user is no core user')

  // A node alive in presence whose directory does not answer.
  const silent = new MemoryPresenceStore('silent', { ttl: 10_000, heartbeat: 1000 }, space)
  await silent.start()
  t.teardown(() => silent.close())
  const started = Date.now()
  t.match(await a.directory.list({ limit: 10 }), { incomplete: true, missingNodes: ['silent'] })
  t.ok(Date.now() - started < 2000, 'waited no longer than the timeout (and some)')
})

t.test('malformed questions and answers are reported, never answered', async (t) => {
  const broker = new MemoryBroker()
  const invalid: unknown[] = []
  const a = nodeOf(t, 'a', broker, new MemoryPresenceSpace(), invalid)
  await a.start()
  await a.hub.publish(CONNECTIONS_TOPIC, { kind: 'explode' })
  await a.hub.publish('core:connections:a', { ask: 1 })
  t.same(invalid, [{ kind: 'explode' }, { ask: 1 }])
  await a.hub.publish('core:connections:a', { ask: 'unknown', node: 'x', closed: 1 })
  t.equal(invalid.length, 2, 'a late answer is dropped quietly')
})

t.test('a broker that cannot publish: UNAVAILABLE', async (t) => {
  class DeadBroker extends MemoryBroker {
    override publish (): Promise<void> { return Promise.reject(new Error('down')) }
  }
  const a = nodeOf(t, 'a', new DeadBroker(), new MemoryPresenceSpace())
  await a.start()
  await t.rejects(a.directory.list({ limit: 1 }), { code: 'UNAVAILABLE', message: 'store unavailable' })
})
