import { ACTIONS_OF, type AccessProtocol } from '../core/access/vocabulary.js'
import { ConfigError } from './load.js'
import { ConfigSchema, ReallySection, WebrocketSection, type Config } from './schema.js'

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
/** Really models of the schema default: a demo collection a newcomer can `create` in. */
export const DEFAULT_REALLY_MODELS = ReallySection.properties.models.default as Readonly<Record<string, unknown>>
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
 * Protocols whose clients can be anonymous with this config: Really always hands out anonymous
 * tokens (`POST /auth/anonymous/`), Telegraphy connects `auth_token: ""` unless `requireAuth`.
 */
function anonymousProtocols (config: Config): Array<{ protocol: AccessProtocol, how: string }> {
  const { really, telegraphy } = config.protocols
  const found: Array<{ protocol: AccessProtocol, how: string }> = []
  if (really.enabled) {
    // The demo collection of the defaults (issue 19) makes that concrete: anyone can write to it.
    const demo = Object.keys(DEFAULT_REALLY_MODELS).filter((path) => JSON.stringify(really.models[path]) === JSON.stringify(DEFAULT_REALLY_MODELS[path]))
    const writable = demo.length > 0 ? ` and create objects in the built-in demo collection ${demo.join(', ')} (list your own models)` : ''
    found.push({ protocol: 'really', how: `anyone may take an anonymous token (POST /auth/anonymous/)${writable}` })
  }
  if (telegraphy.enabled && !telegraphy.requireAuth) found.push({ protocol: 'telegraphy', how: 'requireAuth is false' })
  return found
}

// A rule for every resource and action of the protocol: its default is never reached.
const coversAll = (config: Config, protocol: AccessProtocol): boolean => config.access.rules.some((rule) =>
  rule.protocol === protocol && rule.resource === '**' && ACTIONS_OF[protocol].every((action) => rule.actions.includes(action)))

/**
 * Settings production should not keep but still runs with, since refusing them would stop
 * deployments that predate them (issue 16: the access defaults keep today's behaviour): a
 * protocol with anonymous clients left on an `allow` default, backend calls that go unsigned.
 */
export function productionCautions (config: Config): InsecureSetting[] {
  const found: InsecureSetting[] = []
  if (config.access.authorizeUrl === null) {
    for (const { protocol, how } of anonymousProtocols(config)) {
      if (config.access.defaults[protocol] === 'allow' && !coversAll(config, protocol)) {
        found.push({ path: `/access/defaults/${protocol}`, reason: `allow, and ${how}: anonymous clients may do everything no access rule forbids (set it to deny, or add rules)` })
      }
    }
  }
  const urls = [
    ['protocols.syscache.backendUrl', config.protocols.syscache.backendUrl],
    ['protocols.webrocket.triggerUrl', config.protocols.webrocket.triggerUrl],
    ['access.authorizeUrl', config.access.authorizeUrl],
  ].filter(([, url]) => url !== null).map(([key]) => key)
  if (urls.length > 0 && config.backend.secret === null) {
    found.push({ path: '/backend/secret', reason: `not set: calls to ${urls.join(', ')} go unsigned, so a backend cannot tell them from forged ones` })
  }
  if (config.webhooks.url !== null && config.webhooks.secret === null && config.backend.secret === null) {
    found.push({ path: '/webhooks/secret', reason: 'not set (nor backend.secret): webhook batches go unsigned, so a receiver cannot tell them from forged ones' })
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
  readonly #cautions: InsecureSetting[] = []

  constructor (readonly production: boolean) {}

  add (settings: readonly InsecureSetting[]): void {
    if (settings.length === 0) return
    if (this.production) throw refusal(settings)
    this.#found.push(...settings)
  }

  /** Settings production is warned about (`productionCautions`) but runs with; ignored elsewhere. */
  caution (settings: readonly InsecureSetting[]): void {
    if (this.production) this.#cautions.push(...settings)
  }

  /** One warning for everything found so far, one for the cautions (nothing when all is well). */
  warn (log: { warn (obj: object, msg?: string): void }): void {
    if (this.#found.length > 0) {
      const insecure = this.#found.map((s) => `${s.path}: ${s.reason}`)
      this.#found.length = 0
      log.warn({ insecure }, 'insecure defaults in use; with NODE_ENV=production the server refuses to start')
    }
    if (this.#cautions.length > 0) {
      const cautions = this.#cautions.map((s) => `${s.path}: ${s.reason}`)
      this.#cautions.length = 0
      log.warn({ cautions }, 'settings to review before running in production (see README "Authorization")')
    }
  }
}

function refusal ([first, ...others]: readonly InsecureSetting[]): ConfigError {
  const also = others.length > 0 ? ` (also ${others.map((s) => s.path).join(', ')})` : ''
  return new ConfigError(first.path, `${first.reason}; refused with NODE_ENV=production${also}`)
}
