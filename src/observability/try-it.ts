import { DEFAULT_REALLY_MODELS, DEFAULT_USERS, DEFAULT_VHOST_USERS } from '../config/insecure-defaults.js'
import { AuthSection, type Config } from '../config/schema.js'

// The schema's own defaults, so these lines can only ever name what a fresh install really has.
const DEFAULT_OAUTH_CLIENTS = AuthSection.properties.oauthClients.default as string[]

const json = (value: unknown) => JSON.stringify(value)

// A config user that is still one of the schema's built-in accounts, password included.
function builtInAdmin (config: Config): { username: string, password: string } | undefined {
  const user = config.users
    .filter((u) => u.admin)
    .find((u) => DEFAULT_USERS.some((d) => d.username === u.username && d.password === u.password))
  return user && { username: user.username, password: user.password }
}

function defaultModel (config: Config): string | undefined {
  const models = config.protocols.really.models
  return Object.keys(DEFAULT_REALLY_MODELS).find((path) => json(models[path]) === json(DEFAULT_REALLY_MODELS[path]))
}

/**
 * "How do I try it?" (issue 19): per protocol, the built-in credentials that still work with
 * this config, so a newcomer gets a first reply without reading five READMEs. Only values the
 * schema ships are named (a user's own passwords never are), and `startupBanner` leaves these
 * lines out in production, which refuses those credentials anyway.
 */
export function tryItLines (config: Config, ws: string): string[] {
  const { syscache, webrocket, telegraphy, really, das } = config.protocols
  const admin = builtInAdmin(config)
  const lines: string[] = []
  if (admin) lines.push(`try REST: POST /api/auth/login ${json(admin)}`)
  if (admin && syscache.enabled) lines.push(`try syscache: rpc/auth ${json(admin)} on ${ws}${syscache.path}`)
  if (webrocket.enabled) {
    for (const user of DEFAULT_VHOST_USERS) {
      const configured = webrocket.vhosts[user.vhost]?.users.some((u) => u.name === user.name && u.secret === user.secret)
      if (configured) lines.push(`try webrocket: authenticate ${json({ user: user.name, secret: user.secret })} on ${ws}${webrocket.prefix}${user.vhost}`)
    }
  }
  if (admin && telegraphy.enabled) {
    lines.push(`try telegraphy: CONNECT with an auth_token from POST /api/telegraphy/auth-tokens (Bearer token of ${admin.username}; it lives ${telegraphy.authTokenTtl / 1000}s) on ${ws}${telegraphy.path}`)
  }
  if (really.enabled) {
    const model = defaultModel(config)
    lines.push(`try really: initialize with the accessToken of POST ${really.prefix}/auth/anonymous/${model === undefined ? '' : `, then create in ${model}`}`)
  }
  if (admin && das.enabled) {
    const client = DEFAULT_OAUTH_CLIENTS.find((id) => config.auth.oauthClients.includes(id))
    if (client !== undefined) {
      lines.push(`try das: POST /oauth2/token grant_type=password username=${admin.username} password=${admin.password} client_id=${client}, then authorization "Bearer <access_token>" on namespace ${das.namespace}`)
    }
  }
  if (lines.length > 0) lines.push('try every protocol end to end: node examples/<protocol>.mjs (examples/README.md)')
  return lines
}
