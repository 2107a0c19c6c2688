import { Migrator, type Migration } from 'kysely'
import type { Database } from './database.js'

/**
 * Runs a set of migrations to the latest. Each owner (core, a plugin) keeps its own migration
 * table, so plugins add tables without knowing about each other.
 */
export async function migrate (database: Database, owner: string, migrations: Record<string, Migration>): Promise<void> {
  const migrator = new Migrator({
    db: database.tables<unknown>(),
    provider: { getMigrations: async () => migrations },
    migrationTableName: `${owner}_migrations`,
    migrationLockTableName: `${owner}_migrations_lock`,
  })
  const { error } = await migrator.migrateToLatest()
  if (error) throw error
}
