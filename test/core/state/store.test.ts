import t from 'tap'
import { MemoryStore } from '../../../src/core/state/memory-store.js'
import { RedisStore } from '../../../src/core/state/redis-store.js'
import { REDIS_URL, redisPrefix } from '../../helpers/infra.js'
import { eventually } from '../../helpers/ws-client.js'
import { storeContract } from './store-contract.js'

storeContract(t, 'MemoryStore', async (t) => {
  const store = new MemoryStore()
  t.teardown(() => store.close())
  return store
})

storeContract(t, 'RedisStore', async (t) => {
  const store = new RedisStore({ url: REDIS_URL, prefix: redisPrefix(t) })
  t.teardown(() => store.close())
  await eventually(() => store.isReady(), 2000, 'redis ready')
  return store
})

t.test('RedisStore: two clients see one key space (cluster-wide single use)', async (t) => {
  const prefix = redisPrefix(t)
  const a = new RedisStore({ url: REDIS_URL, prefix })
  const b = new RedisStore({ url: REDIS_URL, prefix })
  t.teardown(() => Promise.all([a.close(), b.close()]))
  await a.set('token', 'v', 5000)
  const [x, y] = await Promise.all([a.take('token'), b.take('token')])
  t.same([x, y].filter(Boolean), ['v'])
})

t.test('RedisStore: while Redis is unreachable every call fails with UNAVAILABLE', async (t) => {
  const store = new RedisStore({ url: 'redis://127.0.0.1:1', prefix: 'x:' })
  t.teardown(() => store.close())
  t.equal(store.isReady(), false)
  for (const call of <Array<() => Promise<unknown>>>[() => store.set('k', 'v'), () => store.set('k', 'v', 10), () => store.setIfAbsent('k', 'v'), () => store.get('k'), () => store.take('k'), () => store.touch('k', 10), () => store.getAndTouch('k', 10), () => store.delete('k'), () => store.push('k', 'v'), () => store.drain('k'), () => store.touch('k', 0), () => store.hashSet('k', 'f', 'v'), () => store.hashDelete('k', 'f'), () => store.hashGetAll('k')]) {
    await t.rejects(call(), { code: 'UNAVAILABLE' })
  }
})
