import SqliteDatabase from 'better-sqlite3'
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely'
import pg from 'pg'
import t, { type Test } from 'tap'
import { RoleDirectory } from '../../../src/core/access/role-directory.js'
import { coreMigrations } from '../../../src/core/db/core-migrations.js'
import { openDatabase, type Database } from '../../../src/core/db/database.js'
import { migrate } from '../../../src/core/db/migrate.js'
import { SwitchboardError } from '../../../src/core/errors.js'
import { Hub } from '../../../src/core/hub/hub.js'
import { RedisBroker } from '../../../src/core/hub/redis-broker.js'
import { Identity } from '../../../src/core/identity/identity.js'
import { TEST_PASSWORD_COST } from '../../helpers/config.js'
import { postgresUrl, REDIS_URL, redisPrefix } from '../../helpers/infra.js'
import { eventually } from '../../helpers/ws-client.js'
import { silent } from './fixtures.js'

const { '0003_users_roles': _rolesMigration, ...beforeRoles } = coreMigrations

interface Dialect {
  name: string
  /** A fresh database URL for this test. */
  url (t: Test): Promise<string>
  /** Kysely straight on that URL, without migrations. */
  raw (url: string): Kysely<unknown>
}

const dialects: Dialect[] = [
  {
    name: 'SQLite',
    url: async (t) => `sqlite:${t.testdir({})}/db.sqlite`,
    raw: (url) => new Kysely({ dialect: new SqliteDialect({ database: new SqliteDatabase(url.slice('sqlite:'.length)) }) }),
  },
  {
    name: 'PostgreSQL',
    url: (t) => postgresUrl(t),
    raw: (url) => new Kysely({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url }) }) }),
  },
]

for (const dialect of dialects) {
  t.test(`${dialect.name}: a database from before roles gains them, empty, and keeps its users`, async (t) => {
    const url = await dialect.url(t)
    const kysely = dialect.raw(url)
    const old = { dialect: dialect.name === 'SQLite' ? 'sqlite' : 'postgres', tables: () => kysely } as unknown as Database
    await migrate(old, 'core', beforeRoles)
    await kysely.insertInto('users' as never).values({ username: 'old', password_hash: 'x', email: null, admin: 1, created_at: new Date(0).toISOString() } as never).execute()
    await kysely.destroy()

    const database = await openDatabase(url)
    t.teardown(() => database.close())
    const identity = new Identity(database, TEST_PASSWORD_COST)
    t.match(await identity.find('old'), { username: 'old', admin: true, roles: [] })
  })

  t.test(`${dialect.name}: roles are stored, checked, replaced and told`, async (t) => {
    const database = await openDatabase(await dialect.url(t))
    t.teardown(() => database.close())
    const identity = new Identity(database, TEST_PASSWORD_COST)
    const told: Array<[string, readonly string[]]> = []
    identity.onRolesChanged((username, roles) => { told.push([username, roles]) })

    t.same((await identity.create({ username: 'ann', password: 'pw', roles: ['ops', 'audit', 'ops'] })).roles, ['audit', 'ops'], 'sorted, once each')
    await identity.create({ username: 'plain', password: 'pw' })
    await t.rejects(identity.create({ username: 'eve', password: 'pw', roles: ['admin'] }), { code: 'INVALID', message: /admin: true/ })
    await t.rejects(identity.create({ username: 'eve', password: 'pw', roles: ['has space'] }), SwitchboardError)
    t.equal(await identity.find('eve'), null, 'nothing made')
    t.same((await identity.setRoles('plain', ['viewer']))?.roles, ['viewer'])
    t.equal(await identity.setRoles('nobody', ['viewer']), null)
    t.same((await identity.list()).map((u) => [u.username, u.roles]), [['ann', ['audit', 'ops']], ['plain', ['viewer']]])

    await identity.upsert({ username: 'root', password: 'pw', admin: true })
    await identity.upsert({ username: 'root', password: 'pw', admin: true })
    await identity.upsert({ username: 'root', password: 'pw', admin: true, roles: ['ops'] })
    await identity.remove('ann')
    t.same(told, [
      ['ann', ['audit', 'ops']],
      ['plain', ['viewer']],
      ['root', ['admin']],
      ['root', ['admin', 'ops']],
      ['ann', []],
    ], 'roles in force, admin included; an unchanged upsert tells nothing')

    t.same(await identity.syncConfigUsers([{ username: 'root', password: 'pw', admin: true, roles: ['ops'] }]), [], 'config users all listed')
    told.length = 0
    t.same(await identity.syncConfigUsers([]), ['root'])
    t.same(told, [['root', []]], 'a disabled user has no roles in force')
  })
}

t.test('a role change on one node counts on the other within the notice\'s trip (Redis, PostgreSQL)', async (t) => {
  const url = await postgresUrl(t)
  const prefix = redisPrefix(t)
  const node = async () => {
    const database = await openDatabase(url)
    t.teardown(() => database.close())
    const broker = new RedisBroker({ url: REDIS_URL, prefix })
    t.teardown(() => broker.close())
    await eventually(() => broker.isReady(), 2000, 'redis ready')
    const roles = new RoleDirectory(new Hub(broker), database, silent)
    const identity = new Identity(database, TEST_PASSWORD_COST)
    identity.onRolesChanged((username, inForce) => roles.announce(username, inForce))
    return { roles, identity }
  }
  const a = await node()
  await a.identity.create({ username: 'kim', password: 'pw', roles: ['ops'] })
  await a.identity.create({ username: 'boss', password: 'pw', admin: true })
  await a.identity.create({ username: 'nobody-special', password: 'pw' })
  await a.roles.start()
  const b = await node()
  await b.roles.start()
  t.same(b.roles.rolesOf('kim'), ['ops'], 'loaded at start')
  t.same(b.roles.rolesOf('boss'), ['admin'])
  t.same(b.roles.rolesOf('nobody-special'), [])
  const changed: string[] = []
  b.roles.onChange((username) => changed.push(username))

  await a.identity.setRoles('kim', ['audit'])
  t.same(a.roles.rolesOf('kim'), ['audit'], 'at once on the node that changed it')
  await eventually(() => b.roles.rolesOf('kim')[0] === 'audit', 1000, 'the other node follows within a second')
  await a.identity.remove('boss')
  await eventually(() => b.roles.rolesOf('boss').length === 0, 1000, 'a removed admin loses role admin everywhere')
  t.same(changed, ['kim', 'boss'])
})
