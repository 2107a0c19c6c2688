import { Type } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import type { Database } from '../db/database.js'
import type { Hub, Subscriber } from '../hub/hub.js'
import type { HubMessage } from '../hub/message.js'
import { effectiveRoles, parseRoles } from '../identity/roles.js'

/** Hub topic announcing every change of a user's roles, so each node's directory follows. */
export const ROLES_TOPIC = 'core:roles'

const Notice = Type.Object({ username: Type.String(), roles: Type.Array(Type.String()) })
const checkNotice = TypeCompiler.Compile(Notice)

const NONE: readonly string[] = Object.freeze([])

/**
 * Every enabled user's roles in force (`admin` included for admins), in memory on each node, so
 * an authorization never waits for the database. Loaded at start-up, then kept in step by the
 * notices on `ROLES_TOPIC` that every change publishes, from whichever node made it: a role
 * removed on one node no longer counts on any node once the notice arrives (the same path as
 * revocations). Users with no roles are not kept.
 */
export class RoleDirectory implements Subscriber {
  readonly #roles = new Map<string, readonly string[]>()
  readonly #listeners: Array<(username: string) => void> = []

  constructor (
    private readonly hub: Hub,
    private readonly database: Database,
    private readonly log: { warn (obj: object, msg?: string): void },
  ) {}

  /** Subscribes first, then loads: a change made meanwhile is in the load or in a notice after it. */
  async start (): Promise<void> {
    await this.hub.subscribe(ROLES_TOPIC, this)
    const rows = await this.database.kysely.selectFrom('users').select(['username', 'admin', 'roles'])
      .where('disabled', '=', 0)
      .where((eb) => eb.or([eb('admin', '=', 1), eb('roles', '<>', '[]')]))
      .execute()
    for (const row of rows) this.#apply(row.username, effectiveRoles(row.admin === 1, parseRoles(row.roles)))
  }

  stop (): Promise<void> {
    return this.hub.unsubscribe(ROLES_TOPIC, this)
  }

  /** The user's roles in force; none for an unknown user. */
  rolesOf (username: string): readonly string[] {
    return this.#roles.get(username) ?? NONE
  }

  /** Called with the username after its roles changed on this node (from any node). */
  onChange (listener: (username: string) => void): void {
    this.#listeners.push(listener)
  }

  /** A user's roles changed (or the user went: `[]`): applied here at once, then on every node. */
  async announce (username: string, roles: readonly string[]): Promise<void> {
    this.#apply(username, roles)
    await this.hub.publish(ROLES_TOPIC, { username, roles })
  }

  deliver (message: HubMessage): void {
    const notice = message.data
    // Notices come from our own nodes; a malformed one (mixed versions) is reported, not applied.
    if (!checkNotice.Check(notice)) return this.log.warn({ data: notice }, 'malformed roles notice ignored')
    this.#apply(notice.username, notice.roles)
  }

  #apply (username: string, roles: readonly string[]): void {
    const before = this.rolesOf(username)
    if (roles.length === 0) this.#roles.delete(username)
    else this.#roles.set(username, Object.freeze([...roles]))
    if (before.length === roles.length && before.every((role, i) => role === roles[i])) return
    for (const listener of this.#listeners) {
      try {
        listener(username)
      } catch (err) {
        this.log.warn({ err, username }, 'a roles change listener failed')
      }
    }
  }
}
