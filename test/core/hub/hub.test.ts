import t from 'tap'
import { Hub } from '../../../src/core/hub/hub.js'
import { MemoryBroker } from '../../../src/core/hub/memory-broker.js'
import { RedisBroker } from '../../../src/core/hub/redis-broker.js'
import { REDIS_URL, redisPrefix } from '../../helpers/infra.js'
import { eventually } from '../../helpers/ws-client.js'
import { Collector, hubContract } from './hub-contract.js'

hubContract(t, 'MemoryBroker', async (t) => {
  const broker = new MemoryBroker()
  t.teardown(() => broker.close())
  return broker
})

async function redisBroker (t: Parameters<Parameters<typeof hubContract>[2]>[0], prefix: string) {
  const broker = new RedisBroker({ url: REDIS_URL, prefix })
  t.teardown(() => broker.close())
  await eventually(() => broker.isReady(), 2000, 'redis ready')
  return broker
}

hubContract(t, 'RedisBroker', (t) => redisBroker(t, redisPrefix(t)))

t.test('RedisBroker: a publish on one node reaches the other exactly once, not echoed back', async (t) => {
  const prefix = redisPrefix(t)
  const nodeA = new Hub(await redisBroker(t, prefix))
  const nodeB = new Hub(await redisBroker(t, prefix))
  const onA = new Collector()
  const onB = new Collector()
  await nodeA.subscribe('room', onA)
  await nodeB.subscribe('room', onB)
  await nodeA.publish('room', { from: 'A' })
  await nodeB.publish('room', { from: 'B' })
  await onA.waitFor(2)
  await onB.waitFor(2)
  // A late duplicate would land within the same round trip as a final marker.
  await nodeA.publish('room', { from: 'A', last: true })
  await onB.waitFor(3)
  await onA.waitFor(3)
  t.same(onA.data.filter((d) => (d as { from: string }).from === 'A').length, 2, 'own messages delivered once')
  t.same(onB.data.map((d) => (d as { from: string }).from).sort(), ['A', 'A', 'B'])
})

t.test('RedisBroker: an earlier version\'s untimed message (`<nodeId> <payload>`) still arrives during a rolling upgrade, its latency not observed', async (t) => {
  const prefix = redisPrefix(t)
  const broker = await redisBroker(t, prefix)
  const hub = new Hub(broker)
  const latencies: number[] = []
  hub.onDelivered = (_topic, latencyMs) => latencies.push(latencyMs)
  const received = new Collector()
  await hub.subscribe('room', received)
  const { Redis } = await import('ioredis')
  const old = new Redis(REDIS_URL)
  t.teardown(() => old.quit())
  await old.publish(prefix + 'room', `oldnode ${JSON.stringify({ from: 'old' })}`)
  await old.publish(prefix + 'room', `newnode ${Date.now()} ${JSON.stringify({ from: 'new' })}`)
  await received.waitFor(2)
  t.same(received.data, [{ from: 'old' }, { from: 'new' }])
  t.ok(Number.isNaN(latencies[0]) && latencies[1] >= 0, 'the untimed one has no latency')
})

t.test('RedisBroker: nodes in different prefixes are isolated', async (t) => {
  const one = new Hub(await redisBroker(t, redisPrefix(t)))
  const two = new Hub(await redisBroker(t, redisPrefix(t)))
  const c = new Collector()
  await two.subscribe('room', c)
  await one.publish('room', 1)
  await two.publish('room', 2)
  await c.waitFor(1)
  t.same(c.data, [2])
})

t.test('RedisBroker: publishing while Redis is unreachable still delivers locally', async (t) => {
  const errors: Error[] = []
  const broker = new RedisBroker({ url: 'redis://127.0.0.1:1', prefix: 'x:', onError: (e) => errors.push(e) })
  t.teardown(() => broker.close())
  const hub = new Hub(broker)
  const c = new Collector()
  const subscribed = hub.subscribe('local', c).catch(() => {})
  await hub.publish('local', 'still here')
  await c.waitFor(1)
  t.same(c.data, ['still here'])
  t.equal(broker.isReady(), false)
  await eventually(() => errors.length > 0, 3000, 'an error was reported')
  void subscribed
})

t.test('RedisBroker: channels subscribed while Redis is away work once it is back', async (t) => {
  const { PrivateRedis } = await import('../../cluster/harness.js')
  const redis = await PrivateRedis.start(t)
  await redis.stop()
  const prefix = redisPrefix(t)
  const late = new RedisBroker({ url: redis.url, prefix, onError: () => {} })
  t.teardown(() => late.close())
  const hub = new Hub(late)
  const c = new Collector()
  await hub.subscribe('room', c)
  t.equal(late.isReady(), false)
  await redis.restart()
  await eventually(() => late.isReady(), 5000, 'reconnected')
  const other = new Hub(new RedisBroker({ url: redis.url, prefix }))
  t.teardown(() => other.broker.close())
  await eventually(() => other.broker.isReady(), 5000, 'publisher ready')
  // The resubscription is asynchronous: publish until the subscriber hears one.
  for (let i = 0; i < 50 && c.messages.length === 0; i++) {
    await other.publish('room', i)
    await c.waitFor(1, 100).catch(() => {})
  }
  t.ok(c.messages.length > 0, 'delivered after Redis came back')
  await hub.unsubscribe('room', c)
})
