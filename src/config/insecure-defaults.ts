import { ConfigError } from './load.js'
import { ConfigSchema, WebrocketSection, type Config } from './schema.js'

/** A setting that must not reach production: `path` is the config key (JSON pointer). */
export interface InsecureSetting {
  path: string
  reason: string
}

/** HS256 wants a key as long as its hash (RFC 7518 §3.2); shorter ones only pass outside production. */
export const MIN_SECRET_BYTES = 32

// The accounts the schema itself fills in: anyone who has read the README knows their passwords.
// Read from the schema so that this list can never drift from the defaults it guards against.
type DefaultUser = { username: string, password: string }
type DefaultVhosts = Record<string, { users: Array<{ name: string, secret: string }> }>
/** Core users of the schema default (`admin`/`change-me`). */
export const DEFAULT_USERS: readonly DefaultUser[] = ConfigSchema.properties.users.default as DefaultUser[]
/** WebRocket vhost users of the schema default (`/echo`: `joe`/`s3cret`). */
export const DEFAULT_VHOST_USERS: ReadonlyArray<{ vhost: string, name: string, secret: string }> =
  Object.entries(WebrocketSection.properties.vhosts.default as DefaultVhosts)
    .flatMap(([vhost, { users }]) => users.map((user) => ({ vhost, name: user.name, secret: user.secret })))
const DEFAULT_PASSWORDS = new Set([...DEFAULT_USERS.map((u) => u.password), ...DEFAULT_VHOST_USERS.map((u) => u.secret)])

/** What in a config still holds a built-in default password, or a missing or short JWT secret. */
export function insecureSettings (config: Config): InsecureSetting[] {
  const found: InsecureSetting[] = []
  const secret = config.auth.jwtSecret
  if (secret === null) {
    found.push({ path: '/auth/jwtSecret', reason: 'not set (nor JWT_SECRET): tokens are signed with a random secret that no other node knows and no restart keeps' })
  } else if (Buffer.byteLength(secret) < MIN_SECRET_BYTES) {
    found.push({ path: '/auth/jwtSecret', reason: `${Buffer.byteLength(secret)} bytes; at least ${MIN_SECRET_BYTES} are needed` })
  }
  config.users.forEach((user, i) => {
    if (DEFAULT_PASSWORDS.has(user.password)) found.push({ path: `/users/${i}/password`, reason: `user ${user.username} has a built-in default password` })
  })
  for (const [vhost, { users }] of Object.entries(config.protocols.webrocket.vhosts)) {
    users.forEach((user, i) => {
      if (DEFAULT_PASSWORDS.has(user.secret)) {
        // JSON pointer, as the schema's own errors name keys: '/' in a key is written '~1'.
        found.push({ path: `/protocols/webrocket/vhosts/${vhost.replaceAll('~', '~0').replaceAll('/', '~1')}/users/${i}/secret`, reason: `WebRocket user ${user.name} of ${vhost} has a built-in default secret` })
      }
    })
  }
  return found
}

/**
 * Collects the insecure settings found while starting (the config's, then the database's). In
 * production the first ones found stop the start at once: a ConfigError, so the process exits
 * with 2 and one line naming the key. Elsewhere they wait for `warn`, which logs them all in
 * one warning.
 */
export class InsecureDefaults {
  readonly #found: InsecureSetting[] = []

  constructor (readonly production: boolean) {}

  add (settings: readonly InsecureSetting[]): void {
    if (settings.length === 0) return
    if (this.production) throw refusal(settings)
    this.#found.push(...settings)
  }

  /** One warning for everything found so far (nothing when all is well). */
  warn (log: { warn (obj: object, msg?: string): void }): void {
    if (this.#found.length === 0) return
    const insecure = this.#found.map((s) => `${s.path}: ${s.reason}`)
    this.#found.length = 0
    log.warn({ insecure }, 'insecure defaults in use; with NODE_ENV=production the server refuses to start')
  }
}

function refusal ([first, ...others]: readonly InsecureSetting[]): ConfigError {
  const also = others.length > 0 ? ` (also ${others.map((s) => s.path).join(', ')})` : ''
  return new ConfigError(first.path, `${first.reason}; refused with NODE_ENV=production${also}`)
}
