/** Booleans are stored as 0/1 and times as ISO strings, the same on SQLite and PostgreSQL. */
export interface UsersTable {
  username: string
  password_hash: string
  email: string | null
  admin: number
  created_at: string
}

export interface CoreTables {
  users: UsersTable
}
