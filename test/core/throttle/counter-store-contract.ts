import type { Test } from 'tap'
import type { CounterStore } from '../../../src/core/throttle/counter-store.js'
import { CredentialThrottle } from '../../../src/core/throttle/credential-throttle.js'
import { FailureLimit } from '../../../src/core/throttle/failure-limit.js'

const until = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * The one contract every CounterStore meets, and the throttle policies built on it, run
 * against each implementation. `make` may be called twice in one test: both results must
 * share counters (two nodes sharing one Redis; the memory store answers the same object).
 */
export function counterStoreContract (t: Test, name: string, make: (t: Test) => Promise<CounterStore>): void {
  t.test(`${name}: increment counts within a window, read does not count`, async (t) => {
    const store = await make(t)
    t.same(await store.read('k'), { count: 0, resetInMs: 0 })
    const first = await store.increment('k', 10_000)
    t.equal(first.count, 1)
    t.ok(first.resetInMs > 9_000 && first.resetInMs <= 10_000, `window started: ${first.resetInMs}`)
    t.equal((await store.increment('k', 10_000)).count, 2)
    const read = await store.read('k')
    t.equal(read.count, 2)
    t.ok(read.resetInMs > 0 && read.resetInMs <= first.resetInMs)
    t.equal((await store.read('other')).count, 0, 'keys are independent')
  })

  t.test(`${name}: the window is fixed by the first increment and then the key is gone`, async (t) => {
    const store = await make(t)
    await store.increment('w', 300)
    await until(150)
    const later = await store.increment('w', 300)
    t.equal(later.count, 2)
    t.ok(later.resetInMs <= 150 + 20, `not extended by later increments (${later.resetInMs} ms left)`)
    // Expiry is the behaviour under test: waiting past the window is the only way to observe it.
    await until(later.resetInMs + 100)
    t.same(await store.read('w'), { count: 0, resetInMs: 0 })
    t.equal((await store.increment('w', 300)).count, 1, 'a new window starts at 1')
  })

  t.test(`${name}: delete`, async (t) => {
    const store = await make(t)
    await store.increment('x', 10_000)
    await store.delete('x')
    t.same(await store.read('x'), { count: 0, resetInMs: 0 })
  })

  t.test(`${name}: concurrent increments are all counted, also from a second client`, async (t) => {
    const a = await make(t)
    const b = await make(t)
    const counts = await Promise.all(Array.from({ length: 100 }, (_, i) => (i % 2 ? a : b).increment('many', 10_000)))
    t.same(counts.map((c) => c.count).sort((x, y) => x - y), Array.from({ length: 100 }, (_, i) => i + 1), 'each got its own number')
    t.equal((await b.read('many')).count, 100)
  })

  t.test(`${name}: FailureLimit without a block: throttled until the window ends`, async (t) => {
    const store = await make(t)
    const limit = new FailureLimit(store, { name: 'f', max: 3, windowMs: 400 })
    t.equal(await limit.fail('ip'), 0)
    t.equal(await limit.fail('ip'), 0)
    t.equal(await limit.retryAfter('ip'), 0, 'within the budget')
    const wait = await limit.fail('ip')
    t.ok(wait > 0 && wait <= 400, `the failure that reaches the limit says when to come back (${wait})`)
    t.ok(await limit.retryAfter('ip') > 0)
    t.equal(await limit.retryAfter('other'), 0, 'other keys are not affected')
    await until(wait + 100)
    t.equal(await limit.retryAfter('ip'), 0, 'free again once the window ended')
  })

  t.test(`${name}: FailureLimit with a block: blocked for blockMs, then a whole new budget`, async (t) => {
    const store = await make(t)
    const limit = new FailureLimit(store, { name: 'b', max: 2, windowMs: 10_000, blockMs: 300 })
    t.equal(await limit.fail('ip'), 0)
    const blocked = await limit.fail('ip')
    t.ok(blocked > 0 && blocked <= 300, `blocked for at most blockMs (${blocked})`)
    t.ok(await limit.retryAfter('ip') > 0)
    await until(blocked + 100)
    t.equal(await limit.retryAfter('ip'), 0, 'the block ended (the 10 s failure window did not keep it)')
    t.equal(await limit.fail('ip'), 0, 'the count restarted')
  })

  t.test(`${name}: FailureLimit with max 0 is off`, async (t) => {
    const store = await make(t)
    const limit = new FailureLimit(store, { name: 'off', max: 0, windowMs: 10_000, blockMs: 10_000 })
    for (let i = 0; i < 5; i++) t.equal(await limit.fail('ip'), 0)
    t.equal(await limit.retryAfter('ip'), 0)
    t.same(await limit.failures('ip'), { count: 0, resetInMs: 0 }, 'and counts nothing')
  })

  t.test(`${name}: CredentialThrottle counts failures per account and per address, not successes`, async (t) => {
    const store = await make(t)
    const throttle = new CredentialThrottle(store, { window: 10_000, maxFailuresPerAccount: 3, maxFailuresPerAddress: 5 })
    const wrong = () => Promise.resolve(null)
    const right = () => Promise.resolve('ok')
    for (let i = 0; i < 10; i++) t.same(await throttle.guard({ address: '10.0.0.1', account: 'user:alice' }, right), { ok: true, value: 'ok' }, 'successes never count')
    for (let i = 0; i < 3; i++) t.same(await throttle.guard({ address: '10.0.0.1', account: 'user:alice' }, wrong), { ok: false, reason: 'denied' })
    const refused = await throttle.guard({ address: '10.0.0.2', account: 'user:alice' }, right)
    t.match(refused, { ok: false, reason: 'throttled' }, 'the account is throttled from another address too, even with the right password')
    t.ok(!refused.ok && refused.reason === 'throttled' && refused.retryAfterMs > 0 && refused.retryAfterMs <= 10_000)
    t.same(await throttle.guard({ address: '10.0.0.1', account: 'user:bob' }, right), { ok: true, value: 'ok' }, 'other accounts from the same address still go through')
    t.same(await throttle.guard({ address: '10.0.0.1', account: 'user:bob' }, wrong), { ok: false, reason: 'denied' })
    t.same(await throttle.guard({ address: '10.0.0.1' }, wrong), { ok: false, reason: 'denied' }, 'the address has its 5th failure')
    t.match(await throttle.guard({ address: '10.0.0.1', account: 'user:carol' }, right), { ok: false, reason: 'throttled' }, 'then the address is throttled for every account')
    t.match(await throttle.guard({ address: '::ffff:10.0.0.1' }, right), { ok: false, reason: 'throttled' }, 'an IPv4-mapped address is the same address')
    t.same(await throttle.guard({ address: '10.0.0.3', account: 'user:carol' }, right), { ok: true, value: 'ok' })
  })

  t.test(`${name}: CredentialThrottle: a concurrent burst is checked at most max times`, async (t) => {
    const store = await make(t)
    const throttle = new CredentialThrottle(store, { window: 10_000, maxFailuresPerAccount: 10, maxFailuresPerAddress: 0 })
    let checked = 0
    const slowWrong = async () => {
      checked++
      await until(20)
      return null
    }
    const verdicts = await Promise.all(Array.from({ length: 40 }, (_, i) => throttle.guard({ address: `10.1.0.${i}`, account: 'user:alice' }, slowWrong)))
    t.equal(checked, 10, 'only the budget was checked')
    t.equal(verdicts.filter((v) => !v.ok && v.reason === 'throttled').length, 30)
  })

  t.test(`${name}: CredentialThrottle: busy checks and checks that throw are not failures (the error propagates)`, async (t) => {
    const store = await make(t)
    const throttle = new CredentialThrottle(store, { window: 10_000, maxFailuresPerAccount: 1, maxFailuresPerAddress: 1 })
    const { SwitchboardError } = await import('../../../src/core/errors.js')
    const busy = await throttle.guard({ address: '10.2.0.1', account: 'user:a' }, () => Promise.reject(new SwitchboardError('BUSY', 'busy', 1234)))
    t.same(busy, { ok: false, reason: 'busy', retryAfterMs: 1234 })
    await t.rejects(throttle.guard({ address: '10.2.0.1', account: 'user:a' }, () => Promise.reject(new Error('db down'))), /db down/)
    t.same(await throttle.guard({ address: '10.2.0.1', account: 'user:a' }, () => Promise.resolve(1)), { ok: true, value: 1 }, 'neither counted as a failure')
  })
}
