import { mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import SqliteDatabase from 'better-sqlite3'
import { CompiledQuery, Kysely, PostgresDialect, SqliteDialect } from 'kysely'
import pg from 'pg'
import type { DependencyHealth } from '../dependency-health.js'
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
  /**
   * Runs one read compiled for this dialect (`?` or `$1` placeholders). On SQLite it runs straight
   * on a prepared statement, without Kysely's driver round trip: a login's user lookup cost more in
   * the driver's promises and locking than in SQLite (issue 8's connection rate). It bypasses the
   * driver's lock, so inside another caller's open transaction it sees that transaction's rows:
   * use it for tables no transaction writes.
   */
  read<R> (sql: string, parameters: readonly unknown[]): Promise<R[]>
  ping (): Promise<boolean>
  close (): Promise<void>
}

/** `sqlite::memory:`, `sqlite:PATH` (relative to the working directory) or `postgres://…`. */
export async function openDatabase (url: string, health?: DependencyHealth): Promise<Database> {
  let kysely: Kysely<CoreTables>
  let dialect: Dialect
  let read: Database['read']
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length)
    if (file !== ':memory:') mkdirSync(dirname(resolve(file)), { recursive: true })
    const sqlite = new SqliteDatabase(file)
    sqlite.pragma('journal_mode = WAL')
    sqlite.pragma('busy_timeout = 5000')
    const statements = withStatementCache(sqlite)
    kysely = new Kysely({ dialect: new SqliteDialect({ database: statements }) })
    dialect = 'sqlite'
    read = <R>(sql: string, parameters: readonly unknown[]) => {
      try {
        return Promise.resolve(statements.prepare(sql).all(parameters) as R[])
      } catch (err) {
        return Promise.reject(err as Error)
      }
    }
  } else {
    const pool = new pg.Pool({ connectionString: url, max: 10 })
    // An idle client losing its server must not crash the process; the pool replaces it. A
    // new connection means the server answers (again).
    pool.on('error', (err) => health?.down('pool', err))
    pool.on('connect', () => health?.up('pool'))
    kysely = new Kysely({ dialect: new PostgresDialect({ pool }) })
    dialect = 'postgres'
    read = async <R>(sql: string, parameters: readonly unknown[]) => (await kysely.executeQuery<R>(CompiledQuery.raw(sql, [...parameters]))).rows
  }
  const database: Database = {
    dialect,
    kysely,
    tables: <T>() => kysely as unknown as Kysely<T>,
    read,
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
