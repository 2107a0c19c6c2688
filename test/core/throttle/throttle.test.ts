import t, { type Test } from 'tap'
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
  for (const call of <Array<() => Promise<unknown>>>[() => store.increment('k', 10), () => store.read('k'), () => store.delete('k')]) {
    await t.rejects(call(), { code: 'UNAVAILABLE' })
  }
  const errors: unknown[] = []
  const throttle = new CredentialThrottle(store, { window: 1000, maxFailuresPerAccount: 1, maxFailuresPerAddress: 1 }, (err) => errors.push(err))
  t.same(await throttle.guard({ address: '1.2.3.4', account: 'user:a' }, () => Promise.resolve('in')), { ok: true, value: 'in' })
  t.same(await throttle.guard({ address: '1.2.3.4', account: 'user:a' }, () => Promise.resolve(null)), { ok: false, reason: 'denied' })
  t.ok(errors.length >= 2, 'the outage was reported')
  const unreported = new CredentialThrottle(store, { window: 1000, maxFailuresPerAccount: 1, maxFailuresPerAddress: 1 })
  t.same(await unreported.guard({ address: '1.2.3.4' }, () => Promise.resolve('in')), { ok: true, value: 'in' }, 'without a reporter it fails open too')
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
  t.equal(store.isReady(), true, 'always ready: it is in this process')
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

t.test('CredentialThrottle: concurrency is not failure', async (t) => {
  const config = { window: 60_000, maxFailuresPerAccount: 10, maxFailuresPerAddress: 30 }
  const attempt = { address: '10.0.0.1', account: 'user:joe' }
  // A check that settles on a later turn, so that every attempt of a burst is in flight at once.
  const later = <T>(value: T) => new Promise<T>((resolve) => setImmediate(() => resolve(value)))

  /** Two nodes' throttles on one Redis prefix. */
  const twoNodes = async (t: Test): Promise<CredentialThrottle[]> => {
    const prefix = redisPrefix(t)
    const stores = [0, 1].map(() => new RedisCounterStore({ url: REDIS_URL, prefix }))
    for (const store of stores) {
      t.teardown(() => store.close())
      await eventually(() => store.isReady(), 2000, 'redis ready')
    }
    return stores.map((store) => new CredentialThrottle(store, config))
  }

  t.test('a burst of right credentials all get in', async (t) => {
    const throttle = new CredentialThrottle(new MemoryCounterStore(), config)
    const verdicts = await Promise.all(Array.from({ length: 50 }, (_, i) => throttle.guard(attempt, () => later(i))))
    t.equal(verdicts.filter((v) => v.ok).length, 50)
    t.equal(throttle.pending, 0, 'nothing left waiting')
  })

  t.test('right ones after wrong ones: in while the budget lasts, then refused', async (t) => {
    const throttle = new CredentialThrottle(new MemoryCounterStore(), config)
    const verdicts = await Promise.all(Array.from({ length: 30 }, (_, i) => throttle.guard(attempt, () => later(i < 5 ? null : i))))
    t.equal(verdicts.filter((v) => !v.ok && v.reason === 'denied').length, 5)
    t.equal(verdicts.filter((v) => v.ok).length, 25, 'five failures leave room for every right one')
    t.equal(throttle.pending, 0)
  })

  t.test('one key busy, another over its budget: the wait moves to the busy key', async (t) => {
    const throttle = new CredentialThrottle(new MemoryCounterStore(), { window: 60_000, maxFailuresPerAccount: 2, maxFailuresPerAddress: 2 })
    // Two guesses from one address at two accounts fill the address budget while in flight.
    const verdicts = await Promise.all([
      throttle.guard({ address: '10.9.0.1', account: 'user:a' }, () => later(null)),
      throttle.guard({ address: '10.9.0.1', account: 'user:b' }, () => later(null)),
      throttle.guard({ address: '10.9.0.1', account: 'user:a' }, () => later('in')),
      throttle.guard({ address: '10.9.0.2', account: 'user:a' }, () => later('in')),
      throttle.guard({ address: '10.9.0.3', account: 'user:a' }, () => later('in')),
    ])
    t.same(verdicts.map((v) => v.ok ? 'ok' : v.reason), ['denied', 'denied', 'throttled', 'ok', 'ok'], 'the address is spent; user:a had one failure and room for two right ones')
    t.equal(throttle.pending, 0)
  })

  t.test('a burst of wrong ones is checked one budget at a time; then even the right one is refused unchecked', async (t) => {
    const throttle = new CredentialThrottle(new MemoryCounterStore(), config)
    let checked = 0
    const verdicts = await Promise.all(Array.from({ length: 50 }, () => throttle.guard(attempt, () => { checked++; return later(null) })))
    t.equal(checked, 10, 'only the account budget was checked')
    t.equal(verdicts.filter((v) => !v.ok && v.reason === 'denied').length, 10)
    t.equal(verdicts.filter((v) => !v.ok && v.reason === 'throttled').length, 40)
    let rightChecked = false
    const right = await throttle.guard(attempt, () => { rightChecked = true; return later('in') })
    t.match(right, { ok: false, reason: 'throttled' })
    t.equal(rightChecked, false)
    t.equal(throttle.pending, 0)
  })

  t.test('a check that throws releases its turn', async (t) => {
    const throttle = new CredentialThrottle(new MemoryCounterStore(), { ...config, maxFailuresPerAccount: 1, maxFailuresPerAddress: 1 })
    await t.rejects(throttle.guard(attempt, () => Promise.reject(new Error('backend down'))), /backend down/)
    t.same(await throttle.guard(attempt, () => later('in')), { ok: true, value: 'in' }, 'not counted, not stuck')
  })

  t.test('two nodes on one Redis: a concurrent burst is checked at most a budget per node', async (t) => {
    const nodes = await twoNodes(t)
    let checked = 0
    await Promise.all(nodes.flatMap((node) => Array.from({ length: 40 }, () => node.guard(attempt, () => { checked++; return later(false) }))))
    t.ok(checked >= 10 && checked <= 20, `checked ${checked}`)
    t.match(await nodes[1]!.guard(attempt, () => later('in')), { ok: false, reason: 'throttled' })
  })

  t.test('two nodes on one Redis: checks running on one node never refuse right credentials on the other', async (t) => {
    const nodes = await twoNodes(t)
    // 1,000 dashboards of one account reconnecting to two nodes at once (the bench's cluster scenario).
    const verdicts = await Promise.all(nodes.flatMap((node) => Array.from({ length: 100 }, (_, i) => node.guard(attempt, () => later(i)))))
    t.equal(verdicts.filter((v) => v.ok).length, 200, 'every one got in')
    t.same(nodes.map((node) => node.pending), [0, 0])
  })
})
