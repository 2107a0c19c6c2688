import t from 'tap'
import { ConnectionTopics } from '../../../src/core/hub/connection-topics.js'
import type { Broker } from '../../../src/core/hub/broker.js'
import { Hub } from '../../../src/core/hub/hub.js'
import { MemoryBroker } from '../../../src/core/hub/memory-broker.js'
import { RedisBroker } from '../../../src/core/hub/redis-broker.js'
import { REDIS_URL, redisPrefix } from '../../helpers/infra.js'
import { eventually } from '../../helpers/ws-client.js'
import { FakeConnection } from '../connections/fakes.js'
import { Collector } from './hub-contract.js'

type Test = Parameters<Parameters<typeof t.test>[0]>[0]

// One suite, both brokers: the bookkeeping must hold whichever carries the messages.
const brokers: Array<[string, (t: Test) => Promise<Broker>]> = [
  ['MemoryBroker', async () => new MemoryBroker()],
  ['RedisBroker', async (t) => {
    const broker = new RedisBroker({ url: REDIS_URL, prefix: redisPrefix(t) })
    await eventually(() => broker.isReady(), 2000, 'redis ready')
    return broker
  }],
]

for (const [name, brokerOf] of brokers) {
  t.test(`${name}: join, leave and counts per connection`, async (t) => {
    const broker = await brokerOf(t)
    t.teardown(() => broker.close())
    const hub = new Hub(broker)
    const topics = new ConnectionTopics(hub, () => {})
    const [a, b] = [new FakeConnection(), new FakeConnection()]
    const [sa, sb] = [new Collector(), new Collector()]
    await topics.join(a, 'x', sa)
    await topics.join(a, 'y', sa)
    await topics.join(a, 'y', sa)
    await topics.join(b, 'x', sb)
    t.same([topics.countOf(a), topics.countOf(b), topics.size], [2, 1, 3], 'joining twice counts once')
    t.ok(topics.has(a, 'y'))
    await hub.publish('x', 1)
    await sa.waitFor(1)
    await sb.waitFor(1)

    await topics.leave(a, 'x')
    await topics.leave(a, 'x')
    await topics.leave(b, 'nothing')
    t.same([topics.countOf(a), topics.size, hub.subscriberCount('x')], [1, 2, 1])
    topics.leaveAll(a)
    topics.leaveAll(a)
    t.same([topics.countOf(a), topics.size, hub.subscriberCount('y')], [0, 1, 0], 'leaveAll: every topic, once')
    await hub.publish('x', 2)
    await sb.waitFor(2)
    t.equal(sa.messages.length, 1, 'a left: nothing more reaches it')
  })

  t.test(`${name}: a new subscriber for a topic replaces the old one without the topic going dark`, async (t) => {
    const broker = await brokerOf(t)
    t.teardown(() => broker.close())
    const hub = new Hub(broker)
    const topics = new ConnectionTopics(hub, () => {})
    const connection = new FakeConnection()
    const [first, second] = [new Collector(), new Collector()]
    await topics.join(connection, 'r', first)
    await topics.join(connection, 'r', second)
    t.same([topics.countOf(connection), hub.subscriberCount('r')], [1, 1])
    await topics.leave(connection, 'r', first)
    t.equal(hub.subscriberCount('r'), 1, 'leaving as the replaced subscriber leaves nothing')
    await hub.publish('r', 'm')
    await second.waitFor(1)
    t.equal(first.messages.length, 0)
    await topics.leave(connection, 'r', second)
    t.same([topics.countOf(connection), hub.subscriberCount('r')], [0, 0])
  })
}

t.test('leaveAll never throws on a failing broker: each failure is reported, every topic is left here', async (t) => {
  class FailingBroker extends MemoryBroker {
    override async unsubscribe (): Promise<void> { throw new Error('broker down') }
  }
  const hub = new Hub(new FailingBroker())
  const failures: Array<[string, string]> = []
  const topics = new ConnectionTopics(hub, (err, topic) => failures.push([(err as Error).message, topic]))
  const connection = new FakeConnection()
  const subscriber = new Collector()
  await topics.join(connection, 'a', subscriber)
  await topics.join(connection, 'b', subscriber)
  topics.leaveAll(connection)
  t.same([topics.size, hub.subscriberCount('a'), hub.subscriberCount('b')], [0, 0, 0])
  await eventually(() => failures.length === 2, 2000, 'both failures reported')
  t.same(failures.sort(), [['broker down', 'a'], ['broker down', 'b']])
})
