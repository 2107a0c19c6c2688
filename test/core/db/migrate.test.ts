import SqliteDatabase from 'better-sqlite3'
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely'
import pg from 'pg'
import t, { type Test } from 'tap'
import { coreMigrations } from '../../../src/core/db/core-migrations.js'
import { openDatabase, type Database } from '../../../src/core/db/database.js'
import { migrate } from '../../../src/core/db/migrate.js'
import type { CoreTables } from '../../../src/core/db/tables.js'
import { Identity } from '../../../src/core/identity/identity.js'
import { hashPassword } from '../../../src/core/identity/passwords.js'
import { TEST_PASSWORD_COST } from '../../helpers/config.js'
import { POSTGRES_URL, postgresUrl } from '../../helpers/infra.js'

// Kysely finds its migration table by introspecting every schema of the database. Other
// clients creating and dropping schemas meanwhile (other apps' tests, tenants) must not make a
// start-up fail: the scan is retried, the migration itself is unaffected.
t.test('migrations run while other clients create and drop schemas', async (t) => {
  const churn = new pg.Client({ connectionString: POSTGRES_URL })
  await churn.connect()
  let stop = false
  let cycles = 0
  const churning = (async () => {
    while (!stop) {
      const schema = `sbchurn_${process.pid}_${cycles++ % 4}`
      await churn.query(`CREATE SCHEMA IF NOT EXISTS ${schema}; CREATE TABLE IF NOT EXISTS ${schema}.t (id serial primary key)`)
      await churn.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
    }
  })()
  t.teardown(async () => {
    stop = true
    await churning.catch(() => {})
    await churn.end()
  })
  const migrated: number[] = []
  for (let i = 0; i < 25; i++) {
    const database = await openDatabase(await postgresUrl(t))
    const users = await database.kysely.selectFrom('users').select('username').execute()
    await database.close()
    migrated.push(users.length)
  }
  t.ok(cycles > 10, `${cycles} schemas created and dropped meanwhile`)
  t.same(migrated, Array(25).fill(0), 'every start migrated a fresh schema with no users')
})

// A database made before users had a source and a disabled flag: its users become 'api' users
// (made by hand, never disabled by a config), enabled, on SQLite and on PostgreSQL.
async function olderDatabase (url: string): Promise<Kysely<CoreTables>> {
  const kysely = url.startsWith('sqlite:')
    ? new Kysely<CoreTables>({ dialect: new SqliteDialect({ database: new SqliteDatabase(url.slice('sqlite:'.length)) }) })
    : new Kysely<CoreTables>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 1 }) }) })
  const dialect = url.startsWith('sqlite:') ? 'sqlite' : 'postgres'
  await migrate({ dialect, tables: () => kysely } as unknown as Database, 'core', { '0001_users': coreMigrations['0001_users'] })
  return kysely
}

for (const [name, makeUrl] of [
  ['SQLite', async (t: Test) => `sqlite:${t.testdir({})}/older.db`],
  ['PostgreSQL', (t: Test) => postgresUrl(t)],
] as const) {
  t.test(`${name}: users of a database from before 0002 become enabled API users`, async (t) => {
    const url = await makeUrl(t)
    const older = await olderDatabase(url)
    await sql`insert into users (username, password_hash, email, admin, created_at) values ('old', ${await hashPassword('pw-old', TEST_PASSWORD_COST)}, null, 0, '2024-01-01T00:00:00.000Z')`.execute(older)
    await older.destroy()
    const database = await openDatabase(url)
    t.teardown(() => database.close())
    t.same(await database.kysely.selectFrom('users').select(['username', 'source', 'disabled']).execute(), [{ username: 'old', source: 'api', disabled: 0 }])
    const identity = new Identity(database, TEST_PASSWORD_COST)
    t.same(await identity.syncConfigUsers([{ username: 'admin', password: 'pw' }]), [], 'a user of unknown origin is never disabled')
    t.equal((await identity.verify('old', 'pw-old'))?.username, 'old')
  })
}
