import { Migrator, sql, type Migration } from 'kysely'
import type { Database } from './database.js'

/**
 * Runs a set of migrations to the latest. Each owner (core, a plugin) keeps its own migration
 * table, so plugins add tables without knowing about each other.
 */
export async function migrate (database: Database, owner: string, migrations: Record<string, Migration>): Promise<void> {
  const db = database.tables<unknown>()
  // On PostgreSQL the migration tables live in the connection's current schema; without naming
  // it, Kysely would find another schema's table of the same name and skip creating its own.
  const schema = database.dialect === 'postgres'
    ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0].schema
    : undefined
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
