import { mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import SqliteDatabase from 'better-sqlite3'
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely'
import pg from 'pg'
import { coreMigrations } from './core-migrations.js'
import { migrate } from './migrate.js'
import { withStatementCache } from './sqlite-statements.js'
import type { CoreTables } from './tables.js'

export type Dialect = 'sqlite' | 'postgres'

/**
 * The durable store. `kysely` is typed with the core tables; a plugin with tables of its own
 * uses `tables<T>()` to get the same connection typed with them.
 */
export interface Database {
  readonly dialect: Dialect
  readonly kysely: Kysely<CoreTables>
  tables<T> (): Kysely<T>
  ping (): Promise<boolean>
  close (): Promise<void>
}

/** `sqlite::memory:`, `sqlite:PATH` (relative to the working directory) or `postgres://…`. */
export async function openDatabase (url: string): Promise<Database> {
  let kysely: Kysely<CoreTables>
  let dialect: Dialect
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length)
    if (file !== ':memory:') mkdirSync(dirname(resolve(file)), { recursive: true })
    const sqlite = new SqliteDatabase(file)
    sqlite.pragma('journal_mode = WAL')
    sqlite.pragma('busy_timeout = 5000')
    kysely = new Kysely({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) })
    dialect = 'sqlite'
  } else {
    const pool = new pg.Pool({ connectionString: url, max: 10 })
    // An idle client losing its server must not crash the process; the pool replaces it.
    pool.on('error', () => {})
    kysely = new Kysely({ dialect: new PostgresDialect({ pool }) })
    dialect = 'postgres'
  }
  const database: Database = {
    dialect,
    kysely,
    tables: <T>() => kysely as unknown as Kysely<T>,
    ping: async () => {
      try {
        await kysely.selectNoFrom((eb) => eb.lit(1).as('one')).execute()
        return true
      } catch {
        return false
      }
    },
    close: () => kysely.destroy(),
  }
  await migrate(database, 'core', coreMigrations)
  return database
}
