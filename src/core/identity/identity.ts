import type { Database } from '../db/database.js'
import type { UsersTable, UserSource } from '../db/tables.js'
import { SwitchboardError } from '../errors.js'
import { nameProblem } from '../limits/index.js'
import { burnPasswordCheck, hashPassword, verifyPassword } from './passwords.js'

export interface User {
  username: string
  email: string | null
  admin: boolean
  createdAt: string
  /** A config user the config file no longer lists: it cannot log in (see `syncConfigUsers`). */
  disabled: boolean
}

export interface NewUser {
  username: string
  password: string
  email?: string | null
  admin?: boolean
}

const toUser = (row: UsersTable): User => ({
  username: row.username,
  email: row.email,
  admin: row.admin === 1,
  createdAt: row.created_at,
  disabled: row.disabled === 1,
})

/** Users with scrypt-hashed passwords, in the durable database. */
export class Identity {
  readonly #revokedListeners: Array<(username: string) => void | Promise<void>> = []

  constructor (private readonly database: Database) {}

  /** Called after a user is removed or disabled (token revocation hangs off this). */
  onRevoked (listener: (username: string) => void | Promise<void>): void {
    this.#revokedListeners.push(listener)
  }

  /** An enabled user by name; a disabled one is not found, so no login path can use it. */
  async find (username: string): Promise<User | null> {
    const row = await this.#rowBy('username', username)
    return row && row.disabled === 0 ? toUser(row) : null
  }

  // Logins look a user up on every connection (syscache, Really, OAuth): the query is built and
  // compiled once per column, then only run with the new value (issue 8's connection rate).
  readonly #lookups = new Map<'username' | 'email', string>()

  async #rowBy (column: 'username' | 'email', value: string): Promise<UsersTable | undefined> {
    // No user has a name or email past the name rules (issue 14), and such text (NUL, lone
    // surrogates) makes PostgreSQL fail the query: a login would answer 500 instead of 401.
    if (nameProblem(value) !== null) return undefined
    let text = this.#lookups.get(column)
    if (text === undefined) {
      text = this.database.kysely.selectFrom('users').selectAll().where(column, '=', value).compile().sql
      this.#lookups.set(column, text)
    }
    const rows = await this.database.read<UsersTable>(text, [value])
    return rows[0]
  }

  async list (): Promise<User[]> {
    const rows = await this.database.kysely.selectFrom('users').selectAll().orderBy('username').execute()
    return rows.map(toUser)
  }

  /** Creates a user (the CLI and the admin API: source 'api'); CONFLICT if the name is taken. */
  async create (user: NewUser, source: UserSource = 'api'): Promise<User> {
    if (await this.#rowBy('username', user.username)) throw new SwitchboardError('CONFLICT', `user ${user.username} already exists`)
    const row: UsersTable = {
      username: user.username,
      password_hash: await hashPassword(user.password),
      email: user.email ?? null,
      admin: user.admin ? 1 : 0,
      created_at: new Date().toISOString(),
      source,
      disabled: 0,
    }
    try {
      await this.database.kysely.insertInto('users').values(row).execute()
    } catch {
      // Lost a race with another node creating the same name.
      throw new SwitchboardError('CONFLICT', `user ${user.username} already exists`)
    }
    return toUser(row)
  }

  /**
   * Creates or replaces a user's password, email and admin flag, as the config file lists it:
   * the user becomes (or stays) a config user, enabled.
   */
  async upsert (user: NewUser): Promise<User> {
    const existing = await this.database.kysely.selectFrom('users').selectAll().where('username', '=', user.username).executeTakeFirst()
    if (!existing) return this.create(user, 'config').catch(async (err) => {
      if (err instanceof SwitchboardError) return this.upsert(user)
      throw err
    })
    const keepHash = await verifyPassword(existing.password_hash, user.password)
    const changes = {
      password_hash: keepHash ? existing.password_hash : await hashPassword(user.password),
      email: user.email ?? null,
      admin: user.admin ? 1 : 0,
      source: 'config' as const,
      disabled: 0,
    }
    await this.database.kysely.updateTable('users').set(changes).where('username', '=', user.username).execute()
    return toUser({ ...existing, ...changes })
  }

  async remove (username: string): Promise<boolean> {
    const result = await this.database.kysely.deleteFrom('users').where('username', '=', username).executeTakeFirst()
    const removed = Number(result.numDeletedRows) > 0
    if (removed) await this.#revoked(username)
    return removed
  }

  /**
   * Start-up: the config file's users are upserted, and the config users it no longer lists are
   * disabled (CLI and admin API users are left alone). Every disabled user's tokens are revoked
   * again at each start: an in-process store forgets revocations on restart, the database does not.
   * Returns the names of the disabled users.
   */
  async syncConfigUsers (users: readonly NewUser[]): Promise<string[]> {
    for (const user of users) await this.upsert(user)
    const listed = users.map((u) => u.username)
    let stale = this.database.kysely.updateTable('users').set({ disabled: 1 }).where('source', '=', 'config')
    if (listed.length > 0) stale = stale.where('username', 'not in', listed)
    await stale.execute()
    const disabled = await this.database.kysely.selectFrom('users').select('username').where('disabled', '=', 1).orderBy('username').execute()
    for (const { username } of disabled) await this.#revoked(username)
    return disabled.map((row) => row.username)
  }

  async #revoked (username: string): Promise<void> {
    for (const listener of this.#revokedListeners) await listener(username)
  }

  /** The user whose name (or email, when `byEmail`) and password match, else null; constant time either way. */
  async verify (login: string, password: string, { byEmail = false } = {}): Promise<User | null> {
    const row = await this.#rowBy(byEmail ? 'email' : 'username', login)
    if (!row) {
      await burnPasswordCheck(password)
      return null
    }
    // A disabled user pays for the same scrypt check as anyone else, then is refused.
    const matches = await verifyPassword(row.password_hash, password)
    return matches && row.disabled === 0 ? toUser(row) : null
  }
}
