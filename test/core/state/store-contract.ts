import type { Test } from 'tap'
import type { EphemeralStore } from '../../../src/core/state/store.js'

const until = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** The one contract every EphemeralStore implementation must meet. */
export function storeContract (t: Test, name: string, make: (t: Test) => Promise<EphemeralStore>): void {
  t.test(`${name}: set, get, delete`, async (t) => {
    const store = await make(t)
    t.equal(await store.get('a'), null)
    await store.set('a', 'one')
    t.equal(await store.get('a'), 'one')
    await store.set('a', 'two')
    t.equal(await store.get('a'), 'two')
    t.equal(await store.delete('a'), true)
    t.equal(await store.delete('a'), false)
    t.equal(await store.get('a'), null)
  })

  t.test(`${name}: ttl expires keys`, async (t) => {
    const store = await make(t)
    await store.set('short', 'v', 200)
    await store.set('long', 'v', 10_000)
    t.equal(await store.get('short'), 'v')
    // Expiry is the behaviour under test: waiting past the ttl is the only way to observe it.
    await until(250)
    t.equal(await store.get('short'), null)
    t.equal(await store.get('long'), 'v')
  })

  t.test(`${name}: touch restarts the ttl`, async (t) => {
    const store = await make(t)
    // Wide margins: a loaded CI box once slept 40 ms past a 60 ms ttl.
    await store.set('k', 'v', 400)
    await until(200)
    t.equal(await store.touch('k', 400), true)
    await until(250)
    t.equal(await store.get('k'), 'v', 'still there 450 ms after set thanks to touch')
    await until(450)
    t.equal(await store.get('k'), null)
    t.equal(await store.touch('k', 400), false, 'touching a gone key fails')
  })

  t.test(`${name}: getAndTouch reads and restarts the ttl`, async (t) => {
    const store = await make(t)
    await store.set('k', 'v', 400)
    await until(200)
    t.equal(await store.getAndTouch('k', 400), 'v')
    await until(250)
    t.equal(await store.get('k'), 'v', 'still there 450 ms after set thanks to getAndTouch')
    await until(450)
    t.equal(await store.getAndTouch('k', 400), null, 'a gone key reads as null')
    t.equal(await store.get('k'), null, 'and is not brought back')
  })

  t.test(`${name}: setIfAbsent`, async (t) => {
    const store = await make(t)
    t.equal(await store.setIfAbsent('k', '1', 1000), true)
    t.equal(await store.setIfAbsent('k', '2', 1000), false)
    t.equal(await store.get('k'), '1')
    t.equal(await store.setIfAbsent('forever', 'x'), true)
  })

  t.test(`${name}: take is get-and-delete`, async (t) => {
    const store = await make(t)
    await store.set('once', 'secret', 1000)
    t.equal(await store.take('once'), 'secret')
    t.equal(await store.take('once'), null)
    t.equal(await store.get('once'), null)
  })

  t.test(`${name}: a key taken concurrently by many callers is granted exactly once`, async (t) => {
    const store = await make(t)
    for (let round = 0; round < 5; round++) {
      await store.set(`race${round}`, 'prize', 5000)
      const results = await Promise.all(Array.from({ length: 50 }, () => store.take(`race${round}`)))
      t.equal(results.filter((r) => r === 'prize').length, 1, `round ${round}: one winner`)
    }
  })

  t.test(`${name}: push and drain`, async (t) => {
    const store = await make(t)
    t.same(await store.drain('list'), [])
    t.equal(await store.push('list', 'a', 1000), 1)
    t.equal(await store.push('list', 'b', 1000), 2)
    t.equal(await store.push('list', 'c'), 3)
    t.same(await store.drain('list'), ['a', 'b', 'c'])
    t.same(await store.drain('list'), [], 'drained lists are gone')
    await store.push('expiring', 'x', 40)
    await until(80)
    t.same(await store.drain('expiring'), [])
  })

  t.test(`${name}: touch with 0 removes the expiry`, async (t) => {
    const store = await make(t)
    await store.set('k', 'v', 200)
    t.equal(await store.touch('k', 0), true)
    await until(300)
    t.equal(await store.get('k'), 'v', 'kept past the old ttl')
    t.equal(await store.touch('kept', 0), false, 'a key that is not there')
    t.equal(await store.get('kept'), null, 'and is not created')
  })

  t.test(`${name}: hash fields are set, read and deleted one at a time`, async (t) => {
    const store = await make(t)
    t.same([...await store.hashGetAll('h')], [], 'no hash yet')
    await store.hashSet('h', 'a', '1', 5000)
    await store.hashSet('h', 'b', '2', 5000)
    await store.hashSet('h', '__proto__', 'field, not prototype', 5000)
    await store.hashSet('h', 'a', 'one', 5000)
    t.same(Object.fromEntries(await store.hashGetAll('h')), { a: 'one', b: '2', ['__proto__']: 'field, not prototype' })
    t.equal((await store.hashGetAll('h')).get('__proto__'), 'field, not prototype')
    t.equal(await store.hashDelete('h', 'b'), true)
    t.equal(await store.hashDelete('h', 'b'), false, 'already gone')
    t.equal(await store.hashDelete('none', 'b'), false, 'no such hash')
    t.same([...(await store.hashGetAll('h')).keys()].sort(), ['__proto__', 'a'])
    await store.hashDelete('h', 'a')
    await store.hashDelete('h', '__proto__')
    t.equal(await store.touch('h', 1000), false, 'a hash left empty is gone')
  })

  t.test(`${name}: a hash has one ttl, restarted by each write, kept by touch, gone with delete`, async (t) => {
    const store = await make(t)
    await store.hashSet('h', 'a', '1', 400)
    await until(250)
    await store.hashSet('h', 'b', '2', 600)
    await until(250)
    t.same(Object.fromEntries(await store.hashGetAll('h')), { a: '1', b: '2' }, 'the second write restarted the whole hash\'s ttl')
    t.equal(await store.touch('h', 0), true)
    await until(350)
    t.equal((await store.hashGetAll('h')).size, 2, 'touch 0 keeps it')
    t.equal(await store.touch('h', 100), true)
    await until(200)
    t.equal((await store.hashGetAll('h')).size, 0, 'expired')
    await store.hashSet('forever', 'a', '1')
    t.equal(await store.delete('forever'), true)
    t.equal((await store.hashGetAll('forever')).size, 0)
  })

  t.test(`${name}: keys are strings, values keep unicode`, async (t) => {
    const store = await make(t)
    await store.set('ü:key', 'välue ✓')
    t.equal(await store.get('ü:key'), 'välue ✓')
    t.equal(store.isReady(), true)
  })
}
