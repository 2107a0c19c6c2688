import t from 'tap'
import { MemoryPresenceSpace, MemoryPresenceStore } from '../../../src/core/presence/memory-presence-store.js'
import { RedisPresenceStore } from '../../../src/core/presence/redis-presence-store.js'
import { Redis } from 'ioredis'
import { REDIS_URL, redisPrefix } from '../../helpers/infra.js'
import { eventually } from '../../helpers/ws-client.js'
import { PrivateRedis } from '../../cluster/harness.js'
import { presenceContract } from './presence-contract.js'

presenceContract(t, 'MemoryPresenceStore', async () => {
  const space = new MemoryPresenceSpace()
  return (node, timers) => new MemoryPresenceStore(node, timers, space)
})

presenceContract(t, 'RedisPresenceStore', async (t) => {
  const prefix = redisPrefix(t)
  return (node, timers) => new RedisPresenceStore({ url: REDIS_URL, prefix, node, ...timers })
})

t.test('RedisPresenceStore: while Redis is unreachable reads fail with UNAVAILABLE, writes neither throw nor wait', async (t) => {
  const store = new RedisPresenceStore({ url: 'redis://127.0.0.1:1', prefix: 'x:', node: 'a', ttl: 1000, heartbeat: 100 })
  t.teardown(() => store.close())
  await store.start() // the heartbeat fails quietly: the node starts anyway
  store.join('das', '/das', 'c1', 'joe')
  store.leave('das', '/das', 'c1')
  await t.rejects(store.members('das', '/das'), { code: 'UNAVAILABLE', message: 'store unavailable' })
  await t.rejects(store.nodes(), { code: 'UNAVAILABLE' })
})

t.test('RedisPresenceStore: writes lost while Redis was away are repaired by the heartbeat, as a new incarnation', async (t) => {
  const redis = await PrivateRedis.start(t)
  const a = new RedisPresenceStore({ url: redis.url, prefix: 'p:', node: 'a', ttl: 2000, heartbeat: 50 })
  const b = new RedisPresenceStore({ url: redis.url, prefix: 'p:', node: 'b', ttl: 2000, heartbeat: 50 })
  t.teardown(() => Promise.all([a.close(), b.close()]))
  await Promise.all([a.start(), b.start()])
  a.join('syscache', 'system', 'gone', 'joe')
  await eventually(async () => (await b.members('syscache', 'system')).length === 1, 2000, 'entry visible')
  await redis.stop()
  a.leave('syscache', 'system', 'gone')
  a.join('syscache', 'system', 'kept', 'ann')
  await redis.restart() // empty: nothing was saved
  await eventually(async () => {
    const members = await b.members('syscache', 'system').catch(() => [])
    return members.length === 1 && members[0].connectionId === 'kept'
  }, 5000, 'a wrote its entries again')
  t.same(await b.members('syscache', 'system'), [{ connectionId: 'kept', user: 'ann', node: 'a' }])
  // Each node announces itself again on its own next heartbeat: b's may come after a's entries.
  await eventually(async () => (await b.nodes().catch(() => [])).length === 2, 5000, 'both nodes announced again')
  t.same((await b.nodes()).sort(), ['a', 'b'])
})

t.test('RedisPresenceStore: past maxQueued writes are dropped and written again by the next heartbeat', async (t) => {
  const prefix = redisPrefix(t)
  const a = new RedisPresenceStore({ url: REDIS_URL, prefix, node: 'a', ttl: 2000, heartbeat: 50, maxQueued: 2 })
  t.teardown(() => a.close())
  await a.start()
  for (let i = 0; i < 5; i++) a.join('telegraphy', 'demo.Item', `c${i}`, null)
  await eventually(async () => (await a.members('telegraphy', 'demo.Item')).length === 5, 2000, 'all five written')
  t.pass('every entry arrived')
})

t.test('RedisPresenceStore: an entry Redis holds in a shape no node writes is ignored and removed', async (t) => {
  const prefix = redisPrefix(t)
  const a = new RedisPresenceStore({ url: REDIS_URL, prefix, node: 'a', ttl: 2000, heartbeat: 50 })
  t.teardown(() => a.close())
  await a.start()
  const raw = new Redis(REDIS_URL)
  t.teardown(() => raw.disconnect())
  await raw.hset(`${prefix}ch:das:/das`, 'x1', 'not json', 'x2', '[1,2]', 'x3', '["nobody.1","zed"]')
  t.same(await a.members('das', '/das'), [])
  await eventually(async () => (await raw.hlen(`${prefix}ch:das:/das`)) === 0, 2000, 'the bad entries deleted')
})
