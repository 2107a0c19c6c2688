import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { ConfigError, envOverrides, loadConfig } from '../../src/config/load.js'
import { parseDuration, parseSize } from '../../src/config/units.js'

t.test('durations and sizes', async (t) => {
  t.equal(parseDuration(250), 250)
  t.equal(parseDuration('300ms'), 300)
  t.equal(parseDuration('5s'), 5000)
  t.equal(parseDuration('10m'), 600_000)
  t.equal(parseDuration('1h'), 3_600_000)
  t.equal(parseDuration('1d'), 86_400_000)
  t.equal(parseDuration('1.5s'), 1500)
  t.equal(parseDuration('42'), 42)
  t.equal(parseSize('64kb'), 65536)
  t.equal(parseSize('1mb'), 1048576)
  t.equal(parseSize('2GB'), 2 * 1024 ** 3)
  t.equal(parseSize(100), 100)
  t.throws(() => parseDuration('5 parsecs'))
  t.throws(() => parseSize('lots'))
})

t.test('defaults match design.md §3', async (t) => {
  const c = loadConfig()
  t.match(c.server, { host: '0.0.0.0', port: 8080, maxPayload: 65536, sendBufferLimit: 1048576, shutdownGrace: 10_000, trustProxy: false })
  t.match(c.storage, { database: null, redis: null })
  t.match(c.auth, { jwtSecret: null, accessTokenTtl: 3_600_000, refreshTokenTtl: 30 * 86_400_000, oauthClients: ['das_web_client'] })
  t.same(c.auth.passwordHashing, { concurrency: 2, queue: 16, cost: 16384 })
  t.match(c.users, [{ username: 'admin', password: 'change-me', admin: true }])
  t.match(c.protocols.syscache, { path: '/syscache', tokenLifetime: 300_000, idleTimeout: 600_000, authWindow: 30_000, eventFormat: 'legacy', maxPendingRequests: 64 })
  t.match(c.protocols.webrocket.vhosts, { '/echo': { users: [{ name: 'joe', permissions: ['READ', 'WRITE'] }] } })
  t.match(c.protocols.telegraphy, { authTokenTtl: 5000, connectTimeout: 10_000, reconnectWindow: 3000, handoverTimeout: 1000, nodeHeartbeat: 1000, sendUnregistered: true })
  t.match(c.protocols.really, { versions: ['v0.1'], idleTimeout: 120_000, anonymousTokenTtl: 86_400_000, passwordTokenTtl: 7 * 86_400_000, maxPendingRequests: 256 })
  t.match(c.protocols.das, { path: '/socket.io', namespace: '/das', authWindow: 1000, connectAckDelay: 1000, traceTtl: 60_000, cleanupInterval: 30_000, allowEIO3: true })
})

t.test('file (YAML and JSON), then environment, then overrides', async (t) => {
  const dir = t.testdir({
    'a.yaml': 'server:\n  port: 9000\n  shutdownGrace: 2s\nprotocols:\n  telegraphy:\n    events: [demo.Item]\n',
    'b.json': JSON.stringify({ server: { port: 9001 }, storage: { redis: 'redis://127.0.0.1:6379' } }),
    'empty.yaml': '',
  })
  const yaml = loadConfig({ file: join(dir, 'a.yaml') })
  t.equal(yaml.server.port, 9000)
  t.equal(yaml.server.shutdownGrace, 2000)
  t.same(yaml.protocols.telegraphy.events, ['demo.Item'])
  t.equal(loadConfig({ file: join(dir, 'b.json') }).storage.redis, 'redis://127.0.0.1:6379')
  t.equal(loadConfig({ file: join(dir, 'empty.yaml') }).server.port, 8080)

  const env = { PORT: '7000', HOST: '127.0.0.1', DATABASE_URL: 'postgres://db/x', REDIS_URL: 'redis://r:6379', JWT_SECRET: 'an-env-secret-of-length', API_KEYS: 'key-one-123, key-two-456,', DATA_DIR: '/var/sb', LOG_LEVEL: 'debug' }
  const c = loadConfig({ file: join(dir, 'a.yaml'), env, overrides: { server: { host: '::1' } } })
  t.equal(c.server.port, 7000)
  t.equal(c.server.host, '::1', 'overrides win over env')
  t.equal(c.storage.database, 'postgres://db/x')
  t.equal(c.storage.redis, 'redis://r:6379')
  t.equal(c.storage.dataDir, '/var/sb')
  t.equal(c.auth.jwtSecret, 'an-env-secret-of-length')
  t.same(c.auth.apiKeys, ['key-one-123', 'key-two-456'])
  t.equal(c.log.level, 'debug')
  t.same(envOverrides({}), {})
})

t.test('CORS origins, and the upgrade allowlist that follows them unless set', async (t) => {
  const server = (overrides: Record<string, unknown>) => loadConfig({ overrides: { server: overrides } }).server
  t.same(server({}).cors, { origins: [], maxAge: 600_000 }, 'default: no CORS')
  t.same(server({}).allowedOrigins, [], 'and upgrades from any origin')
  const app = 'https://app.example'
  t.same(server({ cors: { origins: [app, 'http://localhost:3000'] } }).allowedOrigins, [app, 'http://localhost:3000'])
  t.same(server({ cors: { origins: [app] }, allowedOrigins: [] }).allowedOrigins, [app], '[] is "not set"')
  t.same(server({ cors: { origins: '*' } }).allowedOrigins, [], '"*" everywhere')
  t.same(server({ cors: { origins: [app] }, allowedOrigins: '*' }).allowedOrigins, [], 'explicit "*" = any page')
  t.same(server({ cors: { origins: [app] }, allowedOrigins: ['https://other.example'] }).allowedOrigins, ['https://other.example'])
  t.same(server({ cors: { origins: ['capacitor://localhost'] } }).cors.origins, ['capacitor://localhost'], 'any scheme')
  t.equal(server({ cors: { maxAge: '1h' } }).cors.maxAge, 3_600_000)
  const dir = t.testdir({ 'cors.yaml': 'server:\n  cors:\n    origins: "*"\n' })
  t.equal(loadConfig({ file: join(dir, 'cors.yaml') }).server.cors.origins, '*')
})

t.test('invalid configs name the key and the reason', async (t) => {
  const dir = t.testdir({ 'bad.yaml': 'server: [1, 2', 'list.yaml': '- a\n- b\n', 'bad.json': '{"server":' })
  const reasonOf = (fn: () => unknown) => {
    try {
      fn()
    } catch (err) {
      t.type(err, ConfigError)
      return (err as ConfigError).message
    }
    return 'no error'
  }
  t.match(reasonOf(() => loadConfig({ overrides: { server: { port: 'x' } } })), 'config /server/port: expected an integer from 0 to 65535')
  t.match(reasonOf(() => loadConfig({ overrides: { server: { port: 70000 } } })), '/server/port')
  t.match(reasonOf(() => loadConfig({ overrides: { protocols: { syscache: { idleTimeout: '5 parsecs' } } } })), 'config /protocols/syscache/idleTimeout: expected milliseconds or a duration')
  t.match(reasonOf(() => loadConfig({ overrides: { server: { maxPayload: 'huge' } } })), '/server/maxPayload: expected bytes or a size')
  t.match(reasonOf(() => loadConfig({ overrides: { nonsense: true } })), 'config /nonsense: Unexpected property')
  t.match(reasonOf(() => loadConfig({ overrides: { storage: { database: 'mysql://x' } } })), '/storage/database')
  t.match(reasonOf(() => loadConfig({ env: { PORT: 'eighty' } })), '/server/port')
  t.match(reasonOf(() => loadConfig({ file: join(dir, 'missing.yaml') })), 'cannot read')
  t.match(reasonOf(() => loadConfig({ file: join(dir, 'bad.yaml') })), 'not valid YAML')
  t.match(reasonOf(() => loadConfig({ file: join(dir, 'bad.json') })), 'not valid JSON')
  t.match(reasonOf(() => loadConfig({ file: join(dir, 'list.yaml') })), 'must hold a mapping')
  t.match(reasonOf(() => loadConfig({ overrides: { server: { cors: { origins: ['https://app.example/'] } } } })), 'config /server/cors/origins: expected "*" or a list of origins')
  t.match(reasonOf(() => loadConfig({ overrides: { server: { cors: { origins: 'any' } } } })), '/server/cors/origins: expected')
  t.match(reasonOf(() => loadConfig({ overrides: { server: { allowedOrigins: ['app.example'] } } })), '/server/allowedOrigins: expected')
  t.equal(reasonOf(() => loadConfig({ overrides: { auth: { passwordHashing: { cost: 1000 } } } })), 'config /auth/passwordHashing/cost: expected a power of two from 2 to 1048576')
  t.match(reasonOf(() => loadConfig({ overrides: { auth: { passwordHashing: { cost: 2 ** 21 } } } })), '/auth/passwordHashing/cost: expected a power of two')
  t.equal(loadConfig({ overrides: { auth: { passwordHashing: { cost: 1024 } } } }).auth.passwordHashing.cost, 1024)
  writeFileSync(join(dir, 'ok.yaml'), 'auth:\n  jwtSecret: short\n')
  t.match(reasonOf(() => loadConfig({ file: join(dir, 'ok.yaml') })), '/auth/jwtSecret')
})

t.test('presence: durations, and a heartbeat under the ttl', async (t) => {
  const c = loadConfig({ overrides: { presence: { ttl: '2s', heartbeat: '500ms' }, connections: { timeout: '1s' } } })
  t.same(c.presence, { enabled: true, ttl: 2000, heartbeat: 500 })
  t.equal(c.connections.timeout, 1000)
  t.same(loadConfig().presence, { enabled: true, ttl: 15_000, heartbeat: 5000 }, 'defaults')
  for (const presence of [{ ttl: '1s', heartbeat: '1s' }, { heartbeat: 0 }, { ttl: '1s', heartbeat: '5s' }]) {
    t.throws(() => loadConfig({ overrides: { presence } }), { message: 'config /presence/heartbeat: must be more than 0 and less than presence.ttl' })
  }
})

t.test('the built-in Really model is there until a config lists its own models (issue 19)', async (t) => {
  const builtIn = { '/messages/': { fields: { text: { type: 'string', required: true } } } }
  t.same(loadConfig({ overrides: {} }).protocols.really.models, builtIn)
  t.same(loadConfig({ overrides: { protocols: { really: { idleTimeout: '1m' } } } }).protocols.really.models, builtIn)
  t.same(loadConfig({ overrides: { protocols: { really: { models: { '/notes/': { fields: {} } } } } } }).protocols.really.models, { '/notes/': { fields: {} } })
  t.same(loadConfig({ overrides: { protocols: { really: { models: {} } } } }).protocols.really.models, {}, 'none at all')
})
