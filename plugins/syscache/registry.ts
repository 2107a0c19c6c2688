import { hash } from 'node:crypto'

/** What the registry asks of a session. */
export interface RevocableSession {
  readonly username: string | null
  /** The session's token was cleared or its user revoked elsewhere: log out without a reply. */
  revoked (): void
}

/** Sessions are indexed by a hash of their token, so only hashes cross the hub. */
export const tokenHash = (token: string): string => hash('sha256', token, 'base64url')

/** Hub topic carrying the hash of every token killed by `auth_clear`, on any node (spec §1.7). */
export const CLEARED_TOPIC = 'syscache:token-cleared'

/**
 * This node's syscache sessions by token, so an `auth_clear` or a user removal anywhere in the
 * cluster logs out every connection using that token or user at once, not only at its next request.
 */
export class SessionRegistry<S extends RevocableSession = RevocableSession> {
  readonly #all = new Set<S>()
  // A token is nearly always used by one connection: it is kept alone, a Set only once shared.
  readonly #byToken = new Map<string, S | Set<S>>()

  add (session: S): void {
    this.#all.add(session)
  }

  remove (session: S): void {
    this.#all.delete(session)
  }

  bind (session: S, hash: string): void {
    const bound = this.#byToken.get(hash)
    if (bound === undefined) this.#byToken.set(hash, session)
    else if (bound instanceof Set) bound.add(session)
    else if (bound !== session) this.#byToken.set(hash, new Set([bound, session]))
  }

  unbind (session: S, hash: string): void {
    const bound = this.#byToken.get(hash)
    if (bound === session) this.#byToken.delete(hash)
    else if (bound instanceof Set && bound.delete(session) && bound.size === 0) this.#byToken.delete(hash)
  }

  tokenCleared (hash: string): void {
    const bound = this.#byToken.get(hash)
    if (bound === undefined) return
    for (const session of bound instanceof Set ? [...bound] : [bound]) session.revoked()
  }

  userRevoked (username: string): void {
    for (const session of this.#all) if (session.username === username) session.revoked()
  }
}
