import { Migrator, sql, type DatabaseIntrospector, type Kysely, type Migration, type TableMetadata } from 'kysely'

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

/** What migrating needs of a Database (database.ts opens one and migrates it: no import back). */
export interface MigratedDatabase {
  readonly dialect: 'sqlite' | 'postgres'
  tables<T> (): Kysely<T>
}

/**
 * Runs a set of migrations to the latest. Each owner (core, a plugin) keeps its own migration
 * table, so plugins add tables without knowing about each other.
 */
export async function migrate (database: MigratedDatabase, owner: string, migrations: Record<string, Migration>): Promise<void> {
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
      const schema = rows[0].schema
      await migrateWith(inSchema(connection, schema), owner, migrations, schema)
    } finally {
      await sql`select pg_advisory_unlock(hashtext(${`switchboard:${owner}`}))`.execute(connection)
    }
  })
}

/**
 * Kysely's Migrator looks for its tables by introspecting every schema of the database, and
 * that scan fails when another client drops a schema meanwhile (3F000: tests, tenants). Our
 * migration tables live in one known schema, so the migrator is shown only that one.
 */
function inSchema (db: Kysely<unknown>, schema: string): Kysely<unknown> {
  const introspection: DatabaseIntrospector = {
    getSchemas: async () => [{ name: schema }],
    getTables: async () => {
      const { rows } = await sql<{ name: string, type: string }>`select table_name as name, table_type as type from information_schema.tables where table_schema = ${schema}`.execute(db)
      return rows.map((row): TableMetadata => ({ name: row.name, schema, isView: row.type === 'VIEW', columns: [] }))
    },
    getMetadata: async () => ({ tables: await introspection.getTables() }),
  }
  // Kysely keeps its state in private fields: its methods must run on the real instance.
  return new Proxy(db, {
    get (target, property) {
      if (property === 'introspection') return introspection
      const value: unknown = Reflect.get(target, property, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}
