import t from 'tap'
import { addressKey } from '../../../src/core/throttle/address-key.js'
import { CredentialThrottle } from '../../../src/core/throttle/credential-throttle.js'
import { MemoryCounterStore } from '../../../src/core/throttle/memory-counter-store.js'
import { RedisCounterStore } from '../../../src/core/throttle/redis-counter-store.js'
import { REDIS_URL, redisPrefix } from '../../helpers/infra.js'
import { eventually } from '../../helpers/ws-client.js'
import { counterStoreContract } from './counter-store-contract.js'

const memoryStores = new WeakMap<object, MemoryCounterStore>()
counterStoreContract(t, 'MemoryCounterStore', async (t) => {
  // One store per test, handed out again on a second call: in one process "both nodes" are it.
  let store = memoryStores.get(t)
  if (!store) {
    memoryStores.set(t, store = new MemoryCounterStore())
    const created = store
    t.teardown(() => created.close())
  }
  return store
})

t.test('RedisCounterStore', async (t) => {
  const prefixes = new WeakMap<object, string>()
  counterStoreContract(t, 'RedisCounterStore', async (t) => {
    // Two calls within one test share a prefix: two nodes on one Redis.
    let prefix = prefixes.get(t)
    if (!prefix) prefixes.set(t, prefix = redisPrefix(t))
    const store = new RedisCounterStore({ url: REDIS_URL, prefix })
    t.teardown(() => store.close())
    await eventually(() => store.isReady(), 2000, 'redis ready')
    return store
  })
})

t.test('RedisCounterStore: unreachable Redis fails every call with UNAVAILABLE; the throttle fails open', async (t) => {
  const store = new RedisCounterStore({ url: 'redis://127.0.0.1:1', prefix: 'x:' })
  t.teardown(() => store.close())
  t.equal(store.isReady(), false)
  for (const call of <Array<() => Promise<unknown>>>[() => store.increment('k', 10), () => store.decrement('k'), () => store.read('k'), () => store.delete('k')]) {
    await t.rejects(call(), { code: 'UNAVAILABLE' })
  }
  const errors: unknown[] = []
  const throttle = new CredentialThrottle(store, { window: 1000, maxFailuresPerAccount: 1, maxFailuresPerAddress: 1 }, (err) => errors.push(err))
  t.same(await throttle.guard({ address: '1.2.3.4', account: 'user:a' }, () => Promise.resolve('in')), { ok: true, value: 'in' })
  t.same(await throttle.guard({ address: '1.2.3.4', account: 'user:a' }, () => Promise.resolve(null)), { ok: false, reason: 'denied' })
  t.ok(errors.length >= 2, 'the outage was reported')
})

t.test('MemoryCounterStore drops expired counters nobody reads again', async (t) => {
  let now = 0
  const store = new MemoryCounterStore(() => now)
  for (let i = 0; i < 1024; i++) await store.increment(`k${i}`, 10)
  now = 100
  await store.increment('fresh', 10) // the 1025th write sweeps
  for (let i = 0; i < 1023; i++) await store.increment('fresh', 10)
  t.same(await store.read('k1'), { count: 0, resetInMs: 0 })
  t.equal((await store.read('fresh')).count, 1024)
})

t.test('addressKey', async (t) => {
  t.equal(addressKey('127.0.0.1'), '127.0.0.1')
  t.equal(addressKey('::ffff:127.0.0.1'), '127.0.0.1')
  t.equal(addressKey('::FFFF:10.0.0.1'), '10.0.0.1')
  t.equal(addressKey('2001:db8:0:1:aaaa::1'), '2001:db8:0:1::/64')
  t.equal(addressKey('2001:0db8:0000:0001:ffff:ffff:ffff:ffff'), '2001:db8:0:1::/64', 'one /64, however written')
  t.equal(addressKey('2001:db8::1'), '2001:db8:0:0::/64')
  t.equal(addressKey('::1'), '0:0:0:0::/64')
  t.equal(addressKey('fe80::1:2:3:4'), 'fe80:0:0:0::/64')
  t.equal(addressKey('64:ff9b::192.0.2.1'), '64:ff9b:0:0::/64', 'embedded IPv4 tail')
  t.equal(addressKey(''), '', 'an unknown address is one key of its own')
})
