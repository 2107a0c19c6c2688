import t from 'tap'
import { InsecureDefaults, productionCautions } from '../../src/config/insecure-defaults.js'
import { ConfigError, loadConfig } from '../../src/config/load.js'

const access = (section: Record<string, unknown>, more: Record<string, unknown> = {}) => loadConfig({ overrides: { access: section, ...more } })

function reasonOf (fn: () => unknown): string {
  try {
    fn()
  } catch (err) {
    if (err instanceof ConfigError) return err.message
    throw err
  }
  return 'no error'
}

t.test('defaults keep today\'s behaviour: everything allowed, no rules, no hook', async (t) => {
  const c = loadConfig()
  t.same(c.access, {
    defaults: { really: 'allow', telegraphy: 'allow', webrocket: 'allow', das: 'allow', syscache: 'allow' },
    rules: [],
    authorizeUrl: null,
    cacheTtl: 5000,
    timeout: 2000,
  })
  t.equal(c.backend.secret, null)
  t.same(c.users[0].roles, [], 'users have no roles unless listed')
})

t.test('the issue\'s example loads as written', async (t) => {
  const c = access({
    defaults: { really: 'deny' },
    rules: [
      { protocol: 'really', resource: '/notes/*', actions: ['create', 'update', 'delete'], allow: ['authenticated'] },
      { protocol: 'really', resource: '/notes/*', actions: ['update', 'delete'], allow: ['owner', 'role:admin'] },
      { protocol: 'telegraphy', resource: 'ops.*', actions: ['subscribe'], allow: ['role:ops'] },
    ],
    authorizeUrl: 'https://backend.example/authorize',
    cacheTtl: '30s',
    timeout: '500ms',
  }, { users: [{ username: 'ann', password: 'x', roles: ['ops'] }] })
  t.equal(c.access.defaults.really, 'deny')
  t.equal(c.access.defaults.das, 'allow', 'unnamed protocols keep allow')
  t.equal(c.access.rules.length, 3)
  t.equal(c.access.cacheTtl, 30_000)
  t.equal(c.access.timeout, 500)
  t.same(c.users[0].roles, ['ops'])
})

t.test('bad access config names the key and the reason', async (t) => {
  const rule = (over: Record<string, unknown>) => ({ rules: [{ protocol: 'really', resource: '/a/*', actions: ['read'], allow: ['anyone'], ...over }] })
  t.equal(reasonOf(() => access(rule({ protocol: 'mqtt' }))), 'config /access/rules/0/protocol: expected one of really, telegraphy, webrocket, das, syscache')
  t.equal(reasonOf(() => access(rule({ actions: ['read', 'destroy'] }))), 'config /access/rules/0/actions/1: expected one of subscribe, publish, read, create, update, delete')
  t.equal(reasonOf(() => access(rule({ protocol: 'telegraphy', actions: ['subscribe', 'read'] }))), 'config /access/rules/0/actions/1: read is not an action of telegraphy (its actions: subscribe, publish)')
  t.equal(reasonOf(() => access(rule({ actions: [] }))).startsWith('config /access/rules/0/actions:'), true, 'a rule needs an action')
  t.equal(reasonOf(() => access(rule({ allow: ['anyone', 'admins'] }))), 'config /access/rules/0/allow/1: expected a subject: anyone, anonymous, authenticated, owner, user:<name> or role:<name>')
  t.equal(reasonOf(() => access(rule({ allow: ['role:'] }))), 'config /access/rules/0/allow/0: expected a subject: anyone, anonymous, authenticated, owner, user:<name> or role:<name>')
  t.equal(reasonOf(() => access(rule({ allow: ['user:a b'] }))).startsWith('config /access/rules/0/allow/0: expected a subject'), true)
  t.equal(reasonOf(() => access(rule({ protocol: 'webrocket', actions: ['subscribe'], allow: ['owner'] }))), 'config /access/rules/0/allow/0: owner is a subject of really rules only (the user who created the object)')
  t.equal(access(rule({ allow: ['owner', 'user:joe', 'role:ops', 'anonymous', 'authenticated'] })).access.rules[0].allow.length, 5, 'every subject of Really')
  t.match(reasonOf(() => access(rule({ resource: '/a/***' }))), 'config /access/rules/0/resource: three or more *')
  t.match(reasonOf(() => access(rule({ resource: '' }))), 'config /access/rules/0/resource')
  t.match(reasonOf(() => access(rule({ extra: 1 }))), 'config /access/rules/0/extra: Unexpected property')
  t.equal(reasonOf(() => access({ defaults: { really: 'maybe' } })), 'config /access/defaults/really: expected allow or deny')
  t.match(reasonOf(() => access({ defaults: { mqtt: 'deny' } })), 'config /access/defaults/mqtt: Unexpected property')
  t.match(reasonOf(() => access({ authorizeUrl: 'ftp://x' })), 'config /access/authorizeUrl')
  t.match(reasonOf(() => access({ cacheTtl: 'soon' })), 'config /access/cacheTtl: expected milliseconds or a duration')
  t.match(reasonOf(() => loadConfig({ overrides: { backend: { secret: 'short' } } })), 'config /backend/secret')
  t.equal(reasonOf(() => loadConfig({ overrides: { users: [{ username: 'a', password: 'x', roles: ['ops', 'admin'] }] } })), 'config /users/0/roles/1: role admin is not listed: a user with admin: true has it')
  t.match(reasonOf(() => loadConfig({ overrides: { users: [{ username: 'a', password: 'x', roles: ['no spaces'] }] } })), 'config /users/0/roles/0')
})

t.test('production cautions: anonymous access left on allow, unsigned backend calls', async (t) => {
  const paths = (over: Record<string, unknown>) => productionCautions(loadConfig({ overrides: over })).map((c) => c.path)
  t.same(paths({}), ['/access/defaults/really'], 'Really hands out anonymous tokens; Telegraphy requires auth by default')
  t.match(productionCautions(loadConfig())[0].reason, /anonymous token \(POST \/auth\/anonymous\/\) and create objects in the built-in demo collection \/messages\/ \(list your own models\)/)
  t.notMatch(productionCautions(loadConfig({ overrides: { protocols: { really: { models: {} } } } }))[0].reason, /demo collection/, 'own models: no demo collection to name')
  t.same(paths({ protocols: { telegraphy: { requireAuth: false } } }), ['/access/defaults/really', '/access/defaults/telegraphy'])
  t.same(paths({ protocols: { really: { enabled: false } } }), [], 'a disabled protocol has no clients')
  t.same(paths({ access: { defaults: { really: 'deny' } } }), [])
  t.same(paths({ access: { rules: [{ protocol: 'really', resource: '**', actions: ['read', 'create', 'update', 'delete', 'subscribe', 'publish'], allow: ['authenticated'] }] } }), [], 'a rule covering everything: the default is never reached')
  t.same(paths({ access: { rules: [{ protocol: 'really', resource: '**', actions: ['read'], allow: ['authenticated'] }] } }), ['/access/defaults/really'], 'a rule covering some actions is not enough')
  t.same(paths({ access: { authorizeUrl: 'http://hook.example/' } }), ['/backend/secret'], 'with a hook the default is not used; the hook\'s calls are unsigned')
  const unsigned = productionCautions(loadConfig({ overrides: { access: { defaults: { really: 'deny' } }, protocols: { syscache: { backendUrl: 'http://b/' }, webrocket: { triggerUrl: 'http://t/' } } } }))
  t.same(unsigned.map((c) => c.path), ['/backend/secret'])
  t.match(unsigned[0].reason, 'protocols.syscache.backendUrl, protocols.webrocket.triggerUrl go unsigned')
  t.same(paths({ access: { defaults: { really: 'deny' } }, protocols: { syscache: { backendUrl: 'http://b/' } }, backend: { secret: 'x'.repeat(32) } }), [])
  const hooks = { access: { defaults: { really: 'deny' } }, webhooks: { url: 'http://receiver/' } }
  t.same(paths(hooks), ['/webhooks/secret'], 'unsigned webhook batches')
  t.same(paths({ ...hooks, backend: { secret: 'x'.repeat(32) } }), [], 'signed with backend.secret')
  t.same(paths({ ...hooks, webhooks: { url: 'http://receiver/', secret: 'y'.repeat(32) } }), [], 'signed with their own')
  t.match(reasonOf(() => loadConfig({ overrides: { webhooks: { secret: 'short' } } })), 'config /webhooks/secret')
  t.match(reasonOf(() => loadConfig({ overrides: { webhooks: { retry: { minDelay: 'soon' } } } })), 'config /webhooks/retry/minDelay: expected milliseconds or a duration')
  t.same(loadConfig({ overrides: { webhooks: { flushInterval: '2s', retry: { maxDelay: '1m' } } } }).webhooks,
    { url: null, secret: null, batchSize: 100, flushInterval: 2000, queueLimit: 10000, timeout: 5000, retry: { attempts: 5, minDelay: 1000, maxDelay: 60000 } }, 'durations in ms, defaults filled')
})

t.test('start-up: cautions are one warning in production, nothing elsewhere; never a refusal', async (t) => {
  const config = loadConfig()
  for (const production of [true, false]) {
    const warned: Array<{ obj: Record<string, unknown>, msg?: string }> = []
    const defaults = new InsecureDefaults(production)
    defaults.caution(productionCautions(config))
    defaults.warn({ warn: (obj, msg) => warned.push({ obj: obj as Record<string, unknown>, msg }) })
    if (production) {
      t.equal(warned.length, 1)
      t.match(warned[0], { obj: { cautions: [/^\/access\/defaults\/really: allow, and anyone may take an anonymous token/] }, msg: /review before running in production/ })
    } else {
      t.same(warned, [], 'outside production the open defaults are expected')
    }
  }
})
