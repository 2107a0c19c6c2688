import t from 'tap'
import { Type } from '@sinclair/typebox'
import { ConfigError, keyName, loadConfig } from '../../src/config/load.js'
import { expectedOf } from '../../src/config/expected.js'
import { describeFailure } from '../../src/cli/failure.js'

// Config errors name the key and what it accepts (issue 18), instead of "Expected union value".
const refusal = (overrides: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) => {
  try {
    loadConfig({ overrides, env })
  } catch (err) {
    if (err instanceof ConfigError) return { path: err.path, reason: err.reason, line: describeFailure(err, env).lines[0] }
    throw err
  }
  throw new Error('accepted')
}

t.test('enums and unions list what they accept', async (t) => {
  t.same(refusal({ log: { level: 'verbose' } }), { path: '/log/level', reason: 'expected one of fatal, error, warn, info, debug, trace, silent', line: 'error: invalid config: expected one of fatal, error, warn, info, debug, trace, silent (/log/level)' })
  t.match(refusal({ storage: { database: 'mysql://db/x' } }), { path: '/storage/database', reason: 'expected sqlite::memory:, sqlite:PATH, postgres://… (or postgresql://…), or null for an SQLite file in dataDir' })
  t.match(refusal({ auth: { jwtSecret: 'short' } }), { path: '/auth/jwtSecret', reason: 'expected a secret of at least 16 characters (production: 32 bytes), or null' })
  t.match(refusal({ protocols: { syscache: { eventFormat: 'json' } } }), { reason: 'expected one of legacy, typed' })
  t.match(refusal({ protocols: { webrocket: { triggerUrl: 'ftp://x' } } }), { reason: 'expected an http:// or https:// URL, or null' })
  t.match(refusal({ server: { port: 70000 } }), { path: '/server/port', reason: 'expected an integer from 0 to 65535' })
  t.match(refusal({ server: { bogus: 1 } }), { path: '/server/bogus', reason: 'Unexpected property' })
  t.match(refusal({ protocols: { syscache: { path: 'syscache' } } }), { reason: 'expected a path starting with / (no ? or #)' })
})

t.test('values from environment variables are reported as the variable', async (t) => {
  t.match(refusal({}, { PORT: '-5' }), { path: '/server/port', line: 'error: invalid config: expected an integer from 0 to 65535 (PORT)' })
  t.match(refusal({}, { PORT: 'eighty' }), { line: 'error: invalid config: expected an integer from 0 to 65535 (PORT)' })
  t.match(refusal({}, { LOG_LEVEL: 'verbose' }), { line: /\(LOG_LEVEL\)$/ })
  t.match(refusal({}, { DATABASE_URL: 'mysql://db/x' }), { line: /\(DATABASE_URL\)$/ })
  t.match(refusal({}, { API_KEYS: 'ok-key-12345,short' }), { path: '/auth/apiKeys/1', line: /\(API_KEYS\)$/ })
  t.equal(keyName('/server/port', {}), '/server/port', 'not set in the environment: the key')
  t.equal(keyName('/server/portal', { PORT: '1' }), '/server/portal', 'a prefix of a key is not the key')
})

t.test('a WebRocket vhost without its leading slash is refused, naming it', async (t) => {
  t.same(refusal({ protocols: { webrocket: { vhosts: { echo: { users: [] } } } } }), {
    path: '/protocols/webrocket/vhosts/echo',
    reason: 'echo refused: expected vhosts named by their path with its leading slash, such as /echo (no other /, ? or #)',
    line: 'error: invalid config: echo refused: expected vhosts named by their path with its leading slash, such as /echo (no other /, ? or #) (/protocols/webrocket/vhosts/echo)',
  })
  t.match(refusal({ protocols: { webrocket: { vhosts: { '/a/b': { users: [] } } } } }), { reason: /^\/a\/b refused/ })
  t.match(refusal({ protocols: { webrocket: { vhosts: 5 } } }), { path: '/protocols/webrocket/vhosts', reason: /^expected vhosts named/ })
  t.ok(loadConfig({ overrides: { protocols: { webrocket: { vhosts: { '/echo': { users: [] } } } } } }))
})

t.test('Really models: collections only', async (t) => {
  for (const key of ['/users/', '/users', '/users/*/', '/users/*/posts/', '/a/*/b/*/c/']) {
    t.ok(loadConfig({ overrides: { protocols: { really: { models: { [key]: { fields: {} } } } } } }), key)
  }
  for (const key of ['/users/1/', '/users/posts/', '/users//posts/', 'users/']) {
    t.match(refusal({ protocols: { really: { models: { [key]: { fields: {} } } } } }), { reason: `${key} refused: expected models keyed by a collection R such as /users/ or /users/*/posts/` }, key)
  }
})

t.test('expectedOf describes each kind of schema', async (t) => {
  t.equal(expectedOf(Type.Union([Type.Boolean(), Type.Null()])), 'true or false or null')
  t.equal(expectedOf(Type.Union([Type.String({ pattern: '^x' }), Type.String(), Type.Number(), Type.Integer({ minimum: 1 }), Type.Integer()])), 'a string matching ^x or a string or a number or an integer of at least 1 or an integer')
  t.equal(expectedOf(Type.Literal('only')), '"only"')
})

t.test('describeFailure: one line for anything thrown, the stack chain only with LOG_LEVEL=debug', async (t) => {
  const { SwitchboardError } = await import('../../src/core/errors.js')
  t.same(describeFailure('a string', {}), { lines: ['error: a string'], code: 1 })
  t.same(describeFailure(new Error('first line\nsecond line'), {}), { lines: ['error: first line'], code: 1 })
  t.same(describeFailure(new SwitchboardError('NOT_FOUND', 'no user x'), {}), { lines: ['error: no user x'], code: 1 })
  const traced = describeFailure(new Error('outer', { cause: new Error('inner') }), { LOG_LEVEL: 'trace' })
  t.equal(traced.lines.length, 3)
  t.match(traced.lines[2], /^Error: inner\n\s+at /)
})
