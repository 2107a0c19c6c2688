import t from 'tap'
import { insecureSettings } from '../../src/config/insecure-defaults.js'
import { loadConfig } from '../../src/config/load.js'
import { logBanner, startupBanner, type BannerLine } from '../../src/observability/banner.js'
import { testConfig as baseConfig, TEST_SECRET, type ConfigOverrides } from '../helpers/config.js'

// The test config with a JWT secret long enough that it is no insecure default.
const LONG_SECRET = 'a-jwt-secret-long-enough-for-hs256-keys'
const testConfig = (overrides: ConfigOverrides = {}) => baseConfig({ ...overrides, auth: { jwtSecret: LONG_SECRET, ...overrides.auth } })

const ANY = { address: '0.0.0.0', port: 8080 }
const texts = (lines: BannerLine[], level?: BannerLine['level']) => lines.filter((l) => level === undefined || l.level === level).map((l) => l.text)

t.test('where it listens, its docs, each protocol\'s endpoint and the storage', async (t) => {
  const lines = startupBanner(testConfig({ protocols: { webrocket: { vhosts: { '/echo': { users: [] }, '/chat': { users: [] } } } } }), ANY, { production: false, version: '1.2.3' })
  t.same(texts(lines, 'info'), [
    'Switchboard 1.2.3 listening on http://0.0.0.0:8080 (every interface)',
    'API docs: http://localhost:8080/docs',
    'protocol syscache ws://localhost:8080/syscache',
    'protocol webrocket ws://localhost:8080/webrocket/{vhost} (configured: /echo, /chat)',
    'protocol telegraphy ws://localhost:8080/telegraphy',
    'protocol really ws://localhost:8080/v0.1/socket',
    'protocol das Socket.IO http://localhost:8080/socket.io/ namespace /das',
    'storage: SQLite in memory (nothing is kept); in-process pub/sub and state (one node)',
    'try really: initialize with the accessToken of POST /auth/anonymous/, then create in /messages/',
    'try every protocol end to end: node examples/<protocol>.mjs (examples/README.md)',
  ])
  t.same(texts(lines, 'warn'), [], 'the test config holds no default credential')
})

t.test('disabled protocols are left out; prefixes, versions and a specific address are shown', async (t) => {
  const config = testConfig({
    storage: { database: 'sqlite:/var/lib/switchboard/db.sqlite' },
    protocols: {
      syscache: { enabled: false },
      webrocket: { prefix: '/wr', vhosts: {} },
      telegraphy: { enabled: false },
      really: { prefix: '/rt', versions: ['v0.1', 'v0.2'] },
      das: { path: '/sio', namespace: '/ops' },
    },
  })
  t.same(texts(startupBanner(config, { address: '::1', port: 9000 }, { production: false, version: '1' }), 'info'), [
    'Switchboard 1 listening on http://[::1]:9000',
    'API docs: http://[::1]:9000/docs',
    'protocol webrocket ws://[::1]:9000/wr/{vhost} (configured: /echo)',
    'protocol really ws://[::1]:9000/rt/v0.1/socket, ws://[::1]:9000/rt/v0.2/socket',
    'protocol das Socket.IO http://[::1]:9000/sio/ namespace /ops',
    'storage: SQLite file /var/lib/switchboard/db.sqlite; in-process pub/sub and state (one node)',
    'try webrocket: authenticate {"user":"joe","secret":"s3cret"} on ws://[::1]:9000/wr/echo',
    'try really: initialize with the accessToken of POST /rt/auth/anonymous/, then create in /messages/',
    'try every protocol end to end: node examples/<protocol>.mjs (examples/README.md)',
  ])
  const noVhosts = testConfig()
  noVhosts.protocols.webrocket.vhosts = {}
  t.ok(texts(startupBanner(noVhosts, ANY, { production: false, version: '1' })).includes('protocol webrocket ws://localhost:8080/webrocket/{vhost}'), 'vhosts made through the admin API only')
  const defaultFile = testConfig({ storage: { database: null, dataDir: '/srv/data' } })
  t.match(texts(startupBanner(defaultFile, ANY, { production: false, version: '1' })), ['Switchboard 1 listening on http://0.0.0.0:8080 (every interface)'])
  t.ok(texts(startupBanner(defaultFile, ANY, { production: false, version: '1' })).includes('storage: SQLite file /srv/data/switchboard.db; in-process pub/sub and state (one node)'), 'the default file in dataDir')
})

t.test('PostgreSQL and Redis are named by host, never with their credentials; no secret anywhere', async (t) => {
  const config = testConfig({
    storage: { database: 'postgres://switchboard:pg-password-1@db.example:5433/switchboard', redis: 'rediss://default:redis-password-2@cache.example:6380/2' },
    auth: { jwtSecret: TEST_SECRET, apiKeys: ['api-key-value-3'] },
    backend: { secret: 'backend-secret-of-at-least-32-characters-4' },
    users: [{ username: 'ops', password: 'user-password-5', email: null, admin: true }],
    protocols: { webrocket: { vhosts: { '/echo': { users: [{ name: 'joe', secret: 'vhost-secret-6', permissions: ['READ'] }] } } } },
  })
  const lines = startupBanner(config, ANY, { production: false, version: '1' })
  t.ok(texts(lines).includes('storage: PostgreSQL at db.example:5433/switchboard; Redis at cache.example:6380/2 (TLS)'))
  const all = JSON.stringify(lines)
  for (const secret of ['pg-password-1', 'redis-password-2', TEST_SECRET, 'api-key-value-3', 'backend-secret', 'user-password-5', 'vhost-secret-6']) {
    t.notOk(all.includes(secret), `${secret} is not in the banner`)
  }
  const portless = testConfig({ storage: { database: 'postgresql://db.internal/sb', redis: 'redis://cache.internal/' } })
  t.ok(texts(startupBanner(portless, ANY, { production: false, version: '1' })).includes('storage: PostgreSQL at db.internal/sb; Redis at cache.internal'), 'default ports')
  const unparsable = testConfig({ storage: { database: 'postgres://a:b@[bad/x', redis: 'redis://c:d@[bad' } })
  t.ok(texts(startupBanner(unparsable, ANY, { production: false, version: '1' })).includes('storage: PostgreSQL at (an address that does not parse); Redis at (an address that does not parse)'))
})

t.test('one warning line per built-in credential still in use, none of them holding the password', async (t) => {
  const config = loadConfig({ overrides: { storage: { database: 'sqlite::memory:' } } })
  const warnings = texts(startupBanner(config, ANY, { production: false, version: '1' }), 'warn')
  t.equal(warnings.length, insecureSettings(config).length)
  t.match(warnings, [/^insecure default: \/auth\/jwtSecret: not set/, /^insecure default: \/users\/0\/password: user admin has a built-in default password/, /^insecure default: \/protocols\/webrocket\/vhosts\/~1echo\/users\/0\/secret: /])
  t.notMatch(warnings.join('\n'), /change-me|s3cret/)
})

t.test('outside production: how to try each protocol with the built-in credentials still in use', async (t) => {
  const config = loadConfig({ overrides: { storage: { database: 'sqlite::memory:' } } })
  const tries = texts(startupBanner(config, ANY, { production: false, version: '1' }), 'info').filter((l) => l.startsWith('try '))
  t.same(tries, [
    'try REST: POST /api/auth/login {"username":"admin","password":"change-me"}',
    'try syscache: rpc/auth {"username":"admin","password":"change-me"} on ws://localhost:8080/syscache',
    'try webrocket: authenticate {"user":"joe","secret":"s3cret"} on ws://localhost:8080/webrocket/echo',
    'try telegraphy: CONNECT with an auth_token from POST /api/telegraphy/auth-tokens (Bearer token of admin; it lives 5s) on ws://localhost:8080/telegraphy',
    'try really: initialize with the accessToken of POST /auth/anonymous/, then create in /messages/',
    'try das: POST /oauth2/token grant_type=password username=admin password=change-me client_id=das_web_client, then authorization "Bearer <access_token>" on namespace /das',
    'try every protocol end to end: node examples/<protocol>.mjs (examples/README.md)',
  ])
  t.same(config.protocols.really.models, { '/messages/': { fields: { text: { type: 'string', required: true } } } }, 'the default config has a Really model')
})

t.test('the try lines name only built-in values: changed credentials, clients and models drop out', async (t) => {
  const config = loadConfig({
    overrides: {
      storage: { database: 'sqlite::memory:' },
      users: [{ username: 'admin', password: 'my-own-password', admin: true }, { username: 'guest', password: 'change-me' }],
      auth: { oauthClients: ['mobile'] },
      protocols: { webrocket: { vhosts: { '/echo': { users: [{ name: 'joe', secret: 'my-own-secret', permissions: ['READ'] }] } } }, really: { models: { '/notes/': { fields: {} } } } },
    },
  })
  const all = texts(startupBanner(config, ANY, { production: false, version: '1' }), 'info')
  t.same(all.filter((l) => l.startsWith('try ')), [
    'try really: initialize with the accessToken of POST /auth/anonymous/',
    'try every protocol end to end: node examples/<protocol>.mjs (examples/README.md)',
  ], 'a non-admin user with a built-in password is no example to give')
  t.notMatch(all.join('\n'), /my-own|change-me|s3cret/)
  const adminOnly = loadConfig({ overrides: { storage: { database: 'sqlite::memory:' }, auth: { oauthClients: ['mobile'] } } })
  t.notOk(texts(startupBanner(adminOnly, ANY, { production: false, version: '1' })).some((l) => l.startsWith('try das')), 'no das line without das_web_client')
  const nothing = testConfig({ protocols: { really: { enabled: false }, webrocket: { vhosts: { '/echo': { users: [] } } } } })
  t.notOk(texts(startupBanner(nothing, ANY, { production: false, version: '1' })).some((l) => l.startsWith('try ')), 'nothing to try: no closing line either')
})

t.test('in production: no try lines at all', async (t) => {
  const config = loadConfig({ overrides: { storage: { database: 'sqlite::memory:' } } })
  const all = texts(startupBanner(config, ANY, { production: true, version: '1' }))
  t.notOk(all.some((l) => l.startsWith('try ')))
  t.notMatch(all.join('\n'), /change-me|s3cret|das_web_client/)
})

t.test('in production: the settings to review, anonymous access left on allow among them', async (t) => {
  const config = testConfig({ protocols: { telegraphy: { requireAuth: false } }, access: { defaults: { telegraphy: 'deny' } } })
  const warnings = texts(startupBanner(config, ANY, { production: true, version: '1' }), 'warn')
  t.same(warnings.length, 1, 'Really only: Telegraphy\'s default is deny')
  t.match(warnings[0], /^review before production: \/access\/defaults\/really: allow, and anyone may take an anonymous token/)
  const closed = testConfig({ access: { defaults: { really: 'deny' } } })
  t.same(texts(startupBanner(closed, ANY, { production: true, version: '1' }), 'warn'), [])
})

t.test('logBanner writes each line at its level', async (t) => {
  const written: string[] = []
  logBanner({ info: (msg) => written.push(`info ${msg}`), warn: (msg) => written.push(`warn ${msg}`) }, [{ level: 'info', text: 'a' }, { level: 'warn', text: 'b' }])
  t.same(written, ['info a', 'warn b'])
})
