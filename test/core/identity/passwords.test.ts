import t from 'tap'
import { openDatabase } from '../../../src/core/db/database.js'
import { ConcurrencyGate } from '../../../src/core/identity/concurrency-gate.js'
import { configurePasswordHashing, hashPassword, passwordChecksInFlight, verifyPassword } from '../../../src/core/identity/passwords.js'
import { request, startApp } from '../../helpers/app.js'
import { ADMIN, ALICE, TEST_PASSWORD_COST } from '../../helpers/config.js'
import { eventually } from '../../helpers/ws-client.js'

t.test('ConcurrencyGate: at most `concurrency` running, `queue` waiting, the rest refused; FIFO', async (t) => {
  const gate = new ConcurrencyGate(2, 2)
  const releases: Array<() => void> = []
  const order: number[] = []
  const task = (n: number) => () => new Promise<number>((resolve) => { order.push(n); releases.push(() => resolve(n)) })
  const runs = [1, 2, 3, 4].map((n) => gate.run(task(n)))
  t.ok(runs.every((r) => r !== null), 'two run, two wait')
  t.equal(gate.run(task(5)), null, 'the fifth is refused at once')
  await new Promise((resolve) => setImmediate(resolve))
  t.same(order, [1, 2])
  t.same([gate.running, gate.waiting], [2, 2])
  releases.shift()!()
  t.equal(await runs[0], 1)
  await new Promise((resolve) => setImmediate(resolve))
  t.same(order, [1, 2, 3], 'the first waiting starts when a slot frees')
  gate.resize(4, 0)
  await new Promise((resolve) => setImmediate(resolve))
  t.same(order, [1, 2, 3, 4], 'growing the gate starts waiting tasks')
  while (releases.length) releases.shift()!()
  t.same(await Promise.all(runs), [1, 2, 3, 4])
  t.same([gate.running, gate.waiting], [0, 0])
  const failing = gate.run(() => Promise.reject(new Error('boom')))!
  await t.rejects(failing, /boom/)
  t.equal(gate.running, 0, 'a failed task frees its slot')
})

t.test('verifyPassword: past the cap a check is BUSY at once; cached and identical checks take no place', async (t) => {
  const stored = await hashPassword('right', TEST_PASSWORD_COST)
  t.teardown(() => configurePasswordHashing({ concurrency: 2, queue: 16 }))
  t.equal(await verifyPassword(stored, 'right'), true, 'now cached')
  configurePasswordHashing({ concurrency: 1, queue: 1 })
  const first = verifyPassword(stored, 'wrong-1')
  const second = verifyPassword(stored, 'wrong-2')
  const same = verifyPassword(stored, 'wrong-1')
  t.equal(same, first, 'an identical check in flight is shared')
  await t.rejects(verifyPassword(stored, 'wrong-3'), { code: 'BUSY', retryAfterMs: 1000 })
  t.equal(await verifyPassword(stored, 'right'), true, 'the cached password answers while the gate is full')
  t.same(await Promise.all([first, second]), [false, false])
  t.same(passwordChecksInFlight(), { running: 0, waiting: 0 })
})

t.test('1,000 wrong logins in flight: a valid login answers within 1 s', async (t) => {
  const app = await startApp(t, {
    auth: {
      // Budgets off: this is the hashing bound alone (one address sends everything here).
      throttle: { maxFailuresPerAccount: 0, maxFailuresPerAddress: 0, maxRequestsPerAddress: 0 },
      // One scrypt at a time: this box has two cores shared with other work, and the event
      // loop must keep one (the point of the cap).
      // Production's cost: the flood must be real scrypt work for the bound to mean anything.
      passwordHashing: { concurrency: 1, queue: 4, cost: 16384 },
    },
  })
  t.teardown(() => configurePasswordHashing({ concurrency: 2, queue: 16 }))
  t.equal((await request(app.url, 'POST', '/api/auth/login', { body: ALICE })).status, 200, 'alice logged in once: her password is in the verified cache')
  // 1,000 wrong checks in flight in the server: most straight into the core (1,000 HTTP
  // connections opened by this same process would measure the test client, not the server),
  // a hundred of them over HTTP.
  const { identity } = app.app.services
  const direct = Array.from({ length: 900 }, (_, i) => identity.verify(ALICE.username, `guess-${i}`).then(() => 'wrong', (err: { code?: string }) => err.code))
  const flood = Array.from({ length: 100 }, (_, i) => request(app.url, 'POST', '/api/auth/login', { body: { username: ALICE.username, password: `http-guess-${i}` } }))
  await eventually(() => passwordChecksInFlight().waiting === 4, 5000, 'the queue is full')

  const started = Date.now()
  const cached = await request(app.url, 'POST', '/api/auth/login', { body: ALICE })
  const cachedMs = Date.now() - started
  t.equal(cached.status, 200, 'the cached valid login succeeds')
  t.ok(cachedMs < 1000, `within 1 s (${cachedMs} ms)`)

  const uncachedStart = Date.now()
  const uncached = await request(app.url, 'POST', '/api/auth/login', { body: ADMIN })
  const uncachedMs = Date.now() - uncachedStart
  t.ok(uncached.status === 200 || uncached.status === 503, `an uncached valid login gets an answer (${uncached.status})`)
  // It waits behind at most `queue` checks (a few scrypt runs on this shared box), not behind the flood.
  t.ok(uncachedMs < 4000, `bounded by the queue, not the flood (${uncachedMs} ms)`)

  const outcomes = await Promise.all(direct)
  t.ok(outcomes.filter((o) => o === 'BUSY').length > 850, 'most of the flood was refused at once')
  t.same(new Set(outcomes), new Set(['wrong', 'BUSY']))
  const results = await Promise.all(flood)
  const busy = results.filter((r) => r.status === 503)
  t.ok(busy.length > 0, `over HTTP the refusal is a 503 (${busy.length})`)
  t.same(new Set(results.map((r) => r.status)), new Set([401, 503]), 'nothing else happened to them')
  t.match(busy[0].body, { statusCode: 503, error: 'Service Unavailable', message: /password checks/ })
  t.equal(busy[0].headers.get('retry-after'), '1')
})

t.test('cost: new hashes and the unknown-user check use each Identity\'s own cost; stored hashes verify with theirs', async (t) => {
  // Records the N of every scrypt run, through the same module graph Identity uses.
  const crypto = await import('node:crypto')
  const costs: number[] = []
  const recording = ((password: string, salt: Buffer, length: number, options: { N: number }, done: (err: Error | null, key: Buffer) => void) => {
    costs.push(options.N)
    crypto.scrypt(password, salt, length, options, done)
  }) as unknown as typeof crypto.scrypt
  const passwords = await t.mockImport<typeof import('../../../src/core/identity/passwords.js')>('../../../src/core/identity/passwords.js', {
    'node:crypto': { ...crypto, scrypt: recording },
  })
  const { Identity } = await t.mockImport<typeof import('../../../src/core/identity/identity.js')>('../../../src/core/identity/identity.js', {
    '../../../src/core/identity/passwords.js': passwords,
  })
  const database = await openDatabase('sqlite::memory:')
  t.teardown(() => database.close())
  // Two apps of one process (as in tests) with different configs, over one database.
  const cheap = new Identity(database, TEST_PASSWORD_COST)
  const dear = new Identity(database, 2 * TEST_PASSWORD_COST)

  await cheap.create({ username: 'c', password: 'pw-c' })
  await dear.create({ username: 'd', password: 'pw-d' })
  t.same(costs, [1024, 2048], 'each hashes at its own cost')
  const stored = await database.kysely.selectFrom('users').select(['username', 'password_hash']).orderBy('username').execute()
  t.match(stored, [{ username: 'c', password_hash: /^scrypt\$1024\$/ }, { username: 'd', password_hash: /^scrypt\$2048\$/ }])

  costs.length = 0
  t.equal((await dear.verify('c', 'pw-c'))?.username, 'c', 'a hash made at another cost verifies')
  t.equal(await cheap.verify('d', 'nope'), null)
  t.same(costs, [1024, 2048], 'verification runs at the cost stored in the hash')

  costs.length = 0
  await cheap.verify('nobody', 'x')
  await dear.verify('nobody', 'x')
  await dear.verify('nobody', 'y')
  t.same(costs, [1024, 1024, 2048, 2048, 2048], 'an unknown user costs what a real check at that cost costs (the dummy hash made once per cost)')

  costs.length = 0
  await dear.upsert({ username: 'c', password: 'pw-c' })
  t.same(costs, [], 'an unchanged password keeps its hash (the check is cached), whatever the cost now')
  t.match(await database.kysely.selectFrom('users').select('password_hash').where('username', '=', 'c').executeTakeFirst(), { password_hash: /^scrypt\$1024\$/ })
})

t.test('an app hashes its config users at `auth.passwordHashing.cost`', async (t) => {
  const app = await startApp(t, { auth: { passwordHashing: { cost: 512 } } })
  const rows = await app.app.services.database.kysely.selectFrom('users').select('password_hash').execute()
  t.equal(rows.length, 2)
  t.ok(rows.every((r) => r.password_hash.startsWith('scrypt$512$8$1$')), 'admin and alice')
})
