import t, { type Test } from 'tap'
import { openDatabase, type Database } from '../../../src/core/db/database.js'
import { migrate } from '../../../src/core/db/migrate.js'
import { SwitchboardError } from '../../../src/core/errors.js'
import { Identity } from '../../../src/core/identity/identity.js'
import { hashPassword, verifyPassword } from '../../../src/core/identity/passwords.js'
import { TEST_PASSWORD_COST } from '../../helpers/config.js'
import { postgresUrl } from '../../helpers/infra.js'

type Make = (t: Test) => Promise<Database>

// One contract for the durable store, run against SQLite and PostgreSQL.
function databaseContract (name: string, make: Make) {
  t.test(`${name}: users are created, found, listed, upserted and removed`, async (t) => {
    const database = await make(t)
    t.equal(await database.ping(), true)
    const identity = new Identity(database, TEST_PASSWORD_COST)
    const removed: string[] = []
    identity.onRevoked((u) => { removed.push(u) })
    const bob = await identity.create({ username: 'bob', password: 'pw-bob', email: 'bob@x.test' })
    t.match(bob, { username: 'bob', email: 'bob@x.test', admin: false })
    await t.rejects(identity.create({ username: 'bob', password: 'other' }), SwitchboardError)
    await identity.create({ username: 'ann', password: 'pw-ann', admin: true })
    t.same((await identity.list()).map((u) => u.username), ['ann', 'bob'])
    t.equal((await identity.find('ann'))?.admin, true)
    t.equal(await identity.find('nobody'), null)

    t.equal((await identity.verify('bob', 'pw-bob'))?.username, 'bob')
    t.equal(await identity.verify('bob', 'wrong'), null)
    t.equal(await identity.verify('nobody', 'pw-bob'), null)
    t.equal((await identity.verify('bob@x.test', 'pw-bob', { byEmail: true }))?.username, 'bob')

    await identity.upsert({ username: 'bob', password: 'new-pw', admin: true })
    t.equal(await identity.verify('bob', 'pw-bob'), null, 'old password replaced')
    t.equal((await identity.verify('bob', 'new-pw'))?.admin, true)
    await identity.upsert({ username: 'bob', password: 'new-pw', admin: false })
    t.equal((await identity.find('bob'))?.admin, false, 'same password keeps the hash, flags change')
    await identity.upsert({ username: 'carl', password: 'pw' })
    t.ok(await identity.find('carl'), 'upsert creates')

    t.equal(await identity.remove('bob'), true)
    t.equal(await identity.remove('bob'), false)
    t.same(removed, ['bob'])
  })

  t.test(`${name}: config users the config stops listing are disabled, API users are not, re-listing enables`, async (t) => {
    const database = await make(t)
    const identity = new Identity(database, TEST_PASSWORD_COST)
    const revoked: string[] = []
    identity.onRevoked((u) => { revoked.push(u) })
    await identity.syncConfigUsers([{ username: 'admin', password: 'pw-admin', admin: true }, { username: 'bob', password: 'pw-bob', email: 'bob@x.test' }])
    await identity.create({ username: 'api-user', password: 'pw-api' })
    t.same(revoked, [], 'nothing disabled while the config lists everyone')

    t.same(await identity.syncConfigUsers([{ username: 'admin', password: 'pw-admin', admin: true }]), ['bob'])
    t.same(revoked, ['bob'], 'disabling revokes like removal')
    t.equal(await identity.verify('bob', 'pw-bob'), null, 'a disabled user cannot log in')
    t.equal(await identity.verify('bob@x.test', 'pw-bob', { byEmail: true }), null, 'not by email either')
    t.equal(await identity.find('bob'), null, 'nor be found by a login path')
    t.equal((await identity.verify('api-user', 'pw-api'))?.username, 'api-user', 'API users are not the config\'s to disable')
    t.same((await identity.list()).map((u) => [u.username, u.disabled]), [['admin', false], ['api-user', false], ['bob', true]])
    await t.rejects(identity.create({ username: 'bob', password: 'other' }), SwitchboardError, 'the name stays taken')

    t.same(await identity.syncConfigUsers([]), ['admin', 'bob'], 'an empty list disables every config user')
    revoked.length = 0
    t.same(await identity.syncConfigUsers([{ username: 'bob', password: 'pw-bob' }, { username: 'api-user', password: 'pw-api' }]), ['admin'])
    t.same(revoked, ['admin'], 'still-disabled users are revoked again at each start')
    t.equal((await identity.verify('bob', 'pw-bob'))?.username, 'bob', 're-listed: enabled again')
    t.same(await identity.syncConfigUsers([{ username: 'bob', password: 'pw-bob' }]), ['admin', 'api-user'], 'an API user the config claimed is the config\'s from then on')
  })

  t.test(`${name}: read runs compiled reads and rejects (never throws) on bad SQL`, async (t) => {
    const database = await make(t)
    await new Identity(database, TEST_PASSWORD_COST).create({ username: 'dora', password: 'pw', email: 'dora@x.test' })
    const query = database.kysely.selectFrom('users').select(['username', 'email']).where('username', '=', 'dora').compile()
    t.same(await database.read(query.sql, query.parameters), [{ username: 'dora', email: 'dora@x.test' }])
    t.same(await database.read(query.sql, ['nobody']), [])
    let reading: Promise<unknown> | undefined
    t.doesNotThrow(() => { reading = database.read('SELECT * FROM no_such_table', []) })
    await t.rejects(reading!)
  })

  t.test(`${name}: migrations are idempotent and per owner`, async (t) => {
    const database = await make(t)
    const migrations = {
      '0001': {
        async up (db: import('kysely').Kysely<unknown>) {
          await db.schema.createTable('things').addColumn('name', 'varchar(20)', (c) => c.primaryKey()).execute()
        },
      },
    }
    await migrate(database, 'things', migrations)
    await migrate(database, 'things', migrations)
    const things = database.tables<{ things: { name: string } }>()
    await things.insertInto('things').values({ name: 'x' }).execute()
    t.same(await things.selectFrom('things').selectAll().execute(), [{ name: 'x' }])
  })
}

databaseContract('SQLite', async (t) => {
  const database = await openDatabase('sqlite::memory:')
  t.teardown(() => database.close())
  return database
})

databaseContract('PostgreSQL', async (t) => {
  const database = await openDatabase(await postgresUrl(t))
  t.teardown(() => database.close())
  return database
})

t.test('SQLite file databases are created with their directory', async (t) => {
  const dir = t.testdir({})
  const database = await openDatabase(`sqlite:${dir}/nested/db.sqlite`)
  t.teardown(() => database.close())
  t.equal(database.dialect, 'sqlite')
})

t.test('an unreachable PostgreSQL fails to open, and ping reports false once it is gone', async (t) => {
  await t.rejects(openDatabase('postgres://127.0.0.1:1/none'))
  const database = await openDatabase(await postgresUrl(t))
  await database.close()
  t.equal(await database.ping(), false)
})

t.test('password hashes: scrypt format, salted, verified, malformed refused', async (t) => {
  const a = await hashPassword('secret', TEST_PASSWORD_COST)
  const b = await hashPassword('secret', TEST_PASSWORD_COST)
  t.match(a, /^scrypt\$1024\$8\$1\$[\w-]+\$[\w-]+$/)
  t.not(a, b, 'salted')
  t.equal(await verifyPassword(a, 'secret'), true)
  t.equal(await verifyPassword(a, 'secret'), true, 'cached verification agrees')
  t.equal(await verifyPassword(a, 'Secret'), false, 'cache never accepts a different password')
  t.equal(await verifyPassword('plain-text', 'plain-text'), false)
  t.equal(await verifyPassword('scrypt$16384$8$1$c2FsdA$c2hvcnQ', 'secret'), false, 'wrong length')
})

t.test('concurrent creation of one name: one wins, the other gets a conflict; concurrent upserts both succeed', async (t) => {
  const database = await openDatabase('sqlite::memory:')
  t.teardown(() => database.close())
  const identity = new Identity(database, TEST_PASSWORD_COST)
  const results = await Promise.allSettled([identity.create({ username: 'race', password: 'a' }), identity.create({ username: 'race', password: 'b' })])
  t.same(results.map((r) => r.status).sort(), ['fulfilled', 'rejected'])
  const upserts = await Promise.all([identity.upsert({ username: 'twice', password: 'a' }), identity.upsert({ username: 'twice', password: 'a' })])
  t.same(upserts.map((u) => u.username), ['twice', 'twice'])
  t.equal((await identity.list()).length, 2)
})

t.test('PostgreSQL: nodes opening a fresh database at the same time migrate it once', async (t) => {
  // A race: several rounds of several nodes make a lost race likely without the advisory lock.
  for (let round = 0; round < 3; round++) {
    const url = await postgresUrl(t)
    const databases = await Promise.all(Array.from({ length: 6 }, () => openDatabase(url)))
    t.teardown(() => Promise.all(databases.map((d) => d.close())))
    await new Identity(databases[5], TEST_PASSWORD_COST).create({ username: 'x', password: 'y' })
    t.equal((await new Identity(databases[0], TEST_PASSWORD_COST).find('x'))?.username, 'x')
  }
})

t.test('a crowd checking the same credentials at once shares one scrypt run', async (t) => {
  const crypto = await import('node:crypto')
  let runs = 0
  const counting = ((...args: Parameters<typeof crypto.scrypt>) => { runs++; return (crypto.scrypt as (...a: unknown[]) => void)(...args) }) as typeof crypto.scrypt
  const passwords = await t.mockImport<typeof import('../../../src/core/identity/passwords.js')>('../../../src/core/identity/passwords.js', {
    'node:crypto': { ...crypto, scrypt: counting },
  })
  const stored = await passwords.hashPassword('crowd-secret', TEST_PASSWORD_COST)
  runs = 0
  const results = await Promise.all(Array.from({ length: 40 }, () => passwords.verifyPassword(stored, 'crowd-secret')))
  t.ok(results.every(Boolean))
  t.equal(runs, 1, '40 concurrent checks, one scrypt')
  t.equal(await passwords.verifyPassword(stored, 'crowd-secret'), true)
  t.equal(runs, 1, 'later checks hit the cache')
  const wrong = await Promise.all(Array.from({ length: 3 }, () => passwords.verifyPassword(stored, 'nope')))
  t.same(wrong, [false, false, false], 'failures are shared too, and never cached as success')
  t.equal(runs, 2)
})
