/** Booleans are stored as 0/1 and times as ISO strings, the same on SQLite and PostgreSQL. */
export interface UsersTable {
  username: string
  password_hash: string
  email: string | null
  admin: number
  created_at: string
  /** 'config': upserted from the config file's `users` at start-up; 'api': made by the CLI or the admin API. */
  source: UserSource
  /** 1: a config user the config no longer lists; it cannot log in and its tokens are refused. */
  disabled: number
  /** JSON array of role names (src/core/identity/roles.ts); `admin` is never stored, `admin = 1` gives it. */
  roles: string
}

export type UserSource = 'config' | 'api'

export interface CoreTables {
  users: UsersTable
}
