import type { Principal } from '../../src/core/connection.js'

type UserPrincipal = Extract<Principal, { kind: 'user' }>

// Past this many users the map starts over: it only saves memory, so forgetting is harmless,
// and users removed from the directory do not pile up in it.
const MAX_USERS = 10_000

/**
 * The principals syscache logins give their connections, one per user and admin flag, shared by
 * all of that user's connections (a 48-byte object per idle connection otherwise, issue 21).
 * Sharing is safe because a principal is never changed once given: it is frozen, and a login
 * whose admin flag differs gets a new one while the connections holding the old keep theirs,
 * as when each login built its own. Syscache tokens carry no narrowing claims (README
 * "Authorization"), so a syscache principal is just the user and its flag.
 */
export class SharedPrincipals {
  readonly #byUser = new Map<string, Readonly<UserPrincipal>>()

  of (username: string, admin: boolean): Readonly<UserPrincipal> {
    const known = this.#byUser.get(username)
    if (known?.admin === admin) return known
    if (this.#byUser.size >= MAX_USERS) this.#byUser.clear()
    const principal = Object.freeze({ kind: 'user' as const, username, admin })
    this.#byUser.set(username, principal)
    return principal
  }
}
