import { Migrator, sql, type Kysely, type Migration } from 'kysely'
import type { Database } from './database.js'

async function migrateWith (db: Kysely<unknown>, owner: string, migrations: Record<string, Migration>, schema?: string): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    migrationTableName: `${owner}_migrations`,
    migrationLockTableName: `${owner}_migrations_lock`,
    migrationTableSchema: schema,
  })
  const { error } = await migrator.migrateToLatest()
  if (error) throw error
}

/**
 * Runs a set of migrations to the latest. Each owner (core, a plugin) keeps its own migration
 * table, so plugins add tables without knowing about each other.
 */
export async function migrate (database: Database, owner: string, migrations: Record<string, Migration>): Promise<void> {
  const db = database.tables<unknown>()
  if (database.dialect !== 'postgres') return migrateWith(db, owner, migrations)
  // Nodes of a cluster start together: an advisory lock, held on one connection, lets one
  // migrate while the others wait (Kysely's own lock table does not exist yet on a fresh
  // database). The migration tables live in the connection's current schema; without naming
  // it, Kysely would find another schema's table of the same name and skip creating its own.
  await db.connection().execute(async (connection) => {
    await sql`select pg_advisory_lock(hashtext(${`switchboard:${owner}`}))`.execute(connection)
    try {
      const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(connection)
      await migrateWith(connection, owner, migrations, rows[0].schema)
    } finally {
      await sql`select pg_advisory_unlock(hashtext(${`switchboard:${owner}`}))`.execute(connection)
    }
  })
}
