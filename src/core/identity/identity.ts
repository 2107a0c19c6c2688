import type { Database } from '../db/database.js'
import type { UsersTable, UserSource } from '../db/tables.js'
import { SwitchboardError } from '../errors.js'
import { nameProblem } from '../limits/index.js'
import { burnPasswordCheck, hashPassword, verifyPassword } from './passwords.js'
import { effectiveRoles, normaliseRoles, parseRoles } from './roles.js'

export interface User {
  username: string
  email: string | null
  admin: boolean
  createdAt: string
  /** A config user the config file no longer lists: it cannot log in (see `syncConfigUsers`). */
  disabled: boolean
  /** Its roles for the access rules, sorted; `admin` is not listed (`admin: true` gives it). */
  roles: string[]
}

export interface NewUser {
  username: string
  password: string
  email?: string | null
  admin?: boolean
  roles?: readonly string[]
}

const toUser = (row: UsersTable): User => ({
  username: row.username,
  email: row.email,
  admin: row.admin === 1,
  createdAt: row.created_at,
  disabled: row.disabled === 1,
  roles: parseRoles(row.roles),
})

type RolesListener = (username: string, roles: readonly string[]) => void | Promise<void>

/** The roles rules see for a user: none once disabled. */
const rolesInForce = (user: User): string[] => user.disabled ? [] : effectiveRoles(user.admin, user.roles)

/** Users with scrypt-hashed passwords, in the durable database. */
export class Identity {
  readonly #revokedListeners: Array<(username: string) => void | Promise<void>> = []
  readonly #rolesListeners: RolesListener[] = []

  /** `passwordCost`: the scrypt N new hashes are made with (`auth.passwordHashing.cost`). */
  constructor (private readonly database: Database, private readonly passwordCost: number) {}

  /** Called after a user is removed or disabled (token revocation hangs off this). */
  onRevoked (listener: (username: string) => void | Promise<void>): void {
    this.#revokedListeners.push(listener)
  }

  /**
   * Called with a user's roles in force (`admin` included; `[]` once removed or disabled) after
   * they changed: created, roles set, upserted by the config, removed, disabled.
   */
  onRolesChanged (listener: RolesListener): void {
    this.#rolesListeners.push(listener)
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

  /**
   * Creates a user (the CLI and the admin API: source 'api'); CONFLICT if the name is taken,
   * INVALID for a role that is not a role name (or is `admin`).
   */
  async create (user: NewUser, source: UserSource = 'api'): Promise<User> {
    const roles = normaliseRoles(user.roles ?? [])
    if (await this.#rowBy('username', user.username)) throw new SwitchboardError('CONFLICT', `user ${user.username} already exists`)
    const row: UsersTable = {
      username: user.username,
      password_hash: await hashPassword(user.password, this.passwordCost),
      email: user.email ?? null,
      admin: user.admin ? 1 : 0,
      created_at: new Date().toISOString(),
      source,
      disabled: 0,
      roles: JSON.stringify(roles),
    }
    try {
      await this.database.kysely.insertInto('users').values(row).execute()
    } catch {
      // Lost a race with another node creating the same name.
      throw new SwitchboardError('CONFLICT', `user ${user.username} already exists`)
    }
    const created = toUser(row)
    await this.#rolesChanged(created.username, [], rolesInForce(created))
    return created
  }

  /** Replaces a user's roles; null when there is no such user. */
  async setRoles (username: string, roles: readonly string[]): Promise<User | null> {
    const stored = JSON.stringify(normaliseRoles(roles))
    // No user has such a name, and PostgreSQL fails a query holding one (see #rowBy).
    if (nameProblem(username) !== null) return null
    const existing = await this.database.kysely.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst()
    if (!existing) return null
    await this.database.kysely.updateTable('users').set({ roles: stored }).where('username', '=', username).execute()
    const updated = toUser({ ...existing, roles: stored })
    await this.#rolesChanged(username, rolesInForce(toUser(existing)), rolesInForce(updated))
    return updated
  }

  /**
   * Creates or replaces a user's password, email, admin flag and roles, as the config file lists
   * it: the user becomes (or stays) a config user, enabled.
   */
  async upsert (user: NewUser): Promise<User> {
    const existing = await this.database.kysely.selectFrom('users').selectAll().where('username', '=', user.username).executeTakeFirst()
    if (!existing) return this.create(user, 'config').catch(async (err) => {
      // Lost a race with another node creating it: replace what it made.
      if (err instanceof SwitchboardError && err.code === 'CONFLICT') return this.upsert(user)
      throw err
    })
    const roles = JSON.stringify(normaliseRoles(user.roles ?? []))
    const keepHash = await verifyPassword(existing.password_hash, user.password)
    const changes = {
      password_hash: keepHash ? existing.password_hash : await hashPassword(user.password, this.passwordCost),
      email: user.email ?? null,
      admin: user.admin ? 1 : 0,
      source: 'config' as const,
      disabled: 0,
      roles,
    }
    await this.database.kysely.updateTable('users').set(changes).where('username', '=', user.username).execute()
    const updated = toUser({ ...existing, ...changes })
    await this.#rolesChanged(user.username, rolesInForce(toUser(existing)), rolesInForce(updated))
    return updated
  }

  /**
   * A new password for an existing user (null when there is none): tokens issued until now stop
   * working and the user's connections end, as a password change means to lock others out.
   */
  async setPassword (username: string, password: string): Promise<User | null> {
    const existing = await this.#rowBy('username', username)
    if (!existing) return null
    const passwordHash = await hashPassword(password, this.passwordCost)
    await this.database.kysely.updateTable('users').set({ password_hash: passwordHash }).where('username', '=', username).execute()
    await this.#revoked(username)
    return toUser({ ...existing, password_hash: passwordHash })
  }

  /**
   * Disables a user (null when there is none): no login finds it, its tokens stop working and
   * its connections end on every node (through the revocation listeners, as `remove`).
   */
  async disable (username: string): Promise<User | null> {
    const existing = await this.#rowBy('username', username)
    if (!existing) return null
    await this.database.kysely.updateTable('users').set({ disabled: 1 }).where('username', '=', username).execute()
    await this.#revoked(username)
    await this.#rolesChanged(username, null, [])
    return toUser({ ...existing, disabled: 1 })
  }

  async remove (username: string): Promise<boolean> {
    const result = await this.database.kysely.deleteFrom('users').where('username', '=', username).executeTakeFirst()
    const removed = Number(result.numDeletedRows) > 0
    if (removed) {
      await this.#revoked(username)
      await this.#rolesChanged(username, null, [])
    }
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
    for (const { username } of disabled) {
      await this.#revoked(username)
      await this.#rolesChanged(username, null, [])
    }
    return disabled.map((row) => row.username)
  }

  async #revoked (username: string): Promise<void> {
    for (const listener of this.#revokedListeners) await listener(username)
  }

  /** Tells the listeners when the roles in force changed; `before` null: not known, always told. */
  async #rolesChanged (username: string, before: readonly string[] | null, after: readonly string[]): Promise<void> {
    if (before !== null && before.length === after.length && before.every((role, i) => role === after[i])) return
    for (const listener of this.#rolesListeners) await listener(username, after)
  }

  /** The user whose name (or email, when `byEmail`) and password match, else null; constant time either way. */
  async verify (login: string, password: string, { byEmail = false } = {}): Promise<User | null> {
    const row = await this.#rowBy(byEmail ? 'email' : 'username', login)
    if (!row) {
      await burnPasswordCheck(password, this.passwordCost)
      return null
    }
    // A disabled user pays for the same scrypt check as anyone else, then is refused.
    const matches = await verifyPassword(row.password_hash, password)
    return matches && row.disabled === 0 ? toUser(row) : null
  }
}
