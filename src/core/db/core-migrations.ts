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
  // Which users the config file owns (disabled when it stops listing them, issue 14); users
  // from before this migration were made by hand or by an older config: 'api', never touched.
  '0002_users_source_disabled': {
    async up (db: Kysely<unknown>) {
      // One column per statement: SQLite's ALTER TABLE adds one at a time.
      await db.schema.alterTable('users').addColumn('source', 'varchar(8)', (c) => c.notNull().defaultTo('api')).execute()
      await db.schema.alterTable('users').addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0)).execute()
    },
  },
  // Roles for the access rules (issue 16): a JSON array of role names, `[]` for none. Text, not
  // a table of its own: a user holds a handful, always read and written together.
  '0003_users_roles': {
    async up (db: Kysely<unknown>) {
      await db.schema.alterTable('users').addColumn('roles', 'text', (c) => c.notNull().defaultTo('[]')).execute()
    },
  },
}
