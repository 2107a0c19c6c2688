// The words of the access rules (issue 16), shared by the config schema, the REST routes and the
// authorizer, so that what the config accepts is exactly what the authorizer understands.

/** The protocols an access rule can name. */
export const ACCESS_PROTOCOLS = ['really', 'telegraphy', 'webrocket', 'das', 'syscache'] as const
export type AccessProtocol = typeof ACCESS_PROTOCOLS[number]

/** Every action any protocol asks about. */
export const ACCESS_ACTIONS = ['subscribe', 'publish', 'read', 'create', 'update', 'delete'] as const
export type AccessAction = typeof ACCESS_ACTIONS[number]

/** The actions each protocol asks about: subscribe and publish everywhere, Really's object commands too. */
export const ACTIONS_OF: Readonly<Record<AccessProtocol, readonly AccessAction[]>> = {
  really: ['read', 'create', 'update', 'delete', 'subscribe', 'publish'],
  telegraphy: ['subscribe', 'publish'],
  webrocket: ['subscribe', 'publish'],
  das: ['subscribe', 'publish'],
  syscache: ['subscribe', 'publish'],
}

/**
 * What separates the segments of each protocol's resource names (README "Authorization"): `*`
 * in a pattern stops at it, `**` crosses it. WebRocket `/vhost/channel`, Really's R paths and
 * syscache `namespace/name` are paths; Telegraphy event names and DAS event types are dotted.
 */
export const SEPARATOR_OF: Readonly<Record<AccessProtocol, string>> = {
  really: '/',
  telegraphy: '.',
  webrocket: '/',
  das: '.',
  syscache: '/',
}

/** A role name; `admin` is one too, but it is given by a user's `admin: true` and never stored. */
export const ROLE_PATTERN = '^[A-Za-z0-9_.@-]{1,64}$'
const roleName = new RegExp(ROLE_PATTERN)
export const ADMIN_ROLE = 'admin'

/** Why `role` cannot be stored as one of a user's roles, or null. */
export function roleProblem (role: string): string | null {
  if (!roleName.test(role)) return `role ${JSON.stringify(role)} is not a role name (1 to 64 of A-Z a-z 0-9 _ . @ -)`
  if (role === ADMIN_ROLE) return 'role admin is not listed: a user with admin: true has it'
  return null
}

/**
 * Who a rule allows: `anyone`; `anonymous` (no user: an anonymous token or no authentication);
 * `authenticated` (any user); `user:<name>`; `role:<name>`; and for Really `owner` (the user who
 * created the object).
 */
export const SUBJECT_PATTERN = '^(anyone|anonymous|authenticated|owner|user:\\S+|role:[A-Za-z0-9_.@-]{1,64})$'
export const SUBJECTS_EXPECTED = 'a subject: anyone, anonymous, authenticated, owner, user:<name> or role:<name>'

/** Subjects only some protocols have. */
export const OWNER_SUBJECT = 'owner'
export const OWNER_PROTOCOLS: readonly AccessProtocol[] = ['really']

export const isAccessProtocol = (value: string): value is AccessProtocol => (ACCESS_PROTOCOLS as readonly string[]).includes(value)

/**
 * A resource name as rules compare it: Really's R paths are written with or without their
 * trailing slash (`/notes/12/`, `/notes/12`), so it is dropped, in patterns and names alike.
 */
export function canonicalResource (protocol: AccessProtocol, name: string): string {
  return protocol === 'really' && name.length > 1 && name.endsWith('/') ? name.slice(0, -1) : name
}
