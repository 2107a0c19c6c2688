import type { Kysely, Migration } from 'kysely'

export const coreMigrations: Record<string, Migration> = {
  '0001_users': {
    async up (db: Kysely<unknown>) {
      await db.schema.createTable('users')
        .addColumn('username', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('email', 'varchar(320)')
        .addColumn('admin', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .execute()
      await db.schema.createIndex('users_email').on('users').column('email').execute()
    },
  },
}
