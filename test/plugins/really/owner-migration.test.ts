import SqliteDatabase from 'better-sqlite3'
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely'
import pg from 'pg'
import t, { type Test } from 'tap'
import { openDatabase, type Database, type Dialect } from '../../../src/core/db/database.js'
import { migrate } from '../../../src/core/db/migrate.js'
import { parseR } from '../../../plugins/really/resource-path.js'
import { migrations, ObjectStore } from '../../../plugins/really/store.js'
import { postgresUrl } from '../../helpers/infra.js'

// Owners came with issue 16 (migration 0002): objects stored before it keep working and are
// owned by nobody, on SQLite and on PostgreSQL.

const dialects: Array<{ dialect: Dialect, url (t: Test): Promise<string>, raw (url: string): Kysely<unknown> }> = [
  {
    dialect: 'sqlite',
    url: async (t) => `sqlite:${t.testdir({})}/db.sqlite`,
    raw: (url) => new Kysely({ dialect: new SqliteDialect({ database: new SqliteDatabase(url.slice('sqlite:'.length)) }) }),
  },
  {
    dialect: 'postgres',
    url: (t) => postgresUrl(t),
    raw: (url) => new Kysely({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url }) }) }),
  },
]

for (const { dialect, url: urlOf, raw } of dialects) {
  t.test(`${dialect}: objects from before owners are owned by nobody; new ones by their creator`, async (t) => {
    const url = await urlOf(t)
    const kysely = raw(url)
    const { '0001_objects': first } = migrations(dialect)
    await migrate({ dialect, tables: <T>() => kysely as Kysely<T> }, 'really', { '0001_objects': first })
    await kysely.insertInto('really_objects' as never).values({ parent: '/notes/*/', model: '/notes/*/', rev: 1, deleted: 0, body: '{"text":"old"}', updated_at: new Date(0).toISOString() } as never).execute()
    await kysely.destroy()

    const database: Database = await openDatabase(url)
    t.teardown(() => database.close())
    const store = await ObjectStore.open(database, 10)
    const collection = parseR('/notes/')!
    const [old] = await store.list(collection, true)
    t.match(old, { r: '/notes/1/', rev: 1, body: { text: 'old' }, owner: null }, 'kept, without an owner')
    const made = await store.create(collection, null, { text: 'new' }, 'alice')
    t.equal(made.owner, 'alice')
    t.equal((await store.find(parseR(made.r)!))?.owner, 'alice', 'stored')
    t.equal((await store.create(collection, null, { text: 'anon' }, null)).owner, null, 'an anonymous creator owns nothing')
  })
}
