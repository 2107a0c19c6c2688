import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { request, startApp } from './helpers/app.js'
import { run } from './helpers/cli.js'
import { TEST_API_KEY } from './helpers/config.js'

const PRODUCTION = { NODE_ENV: 'production' }
const SECRET = 'a-production-secret-of-32-bytes!'
const GOOD = `auth:\n  jwtSecret: "${SECRET}"\nusers:\n  - { username: admin, password: not-the-default, admin: true }\nprotocols:\n  webrocket:\n    vhosts:\n      /echo:\n        users: [ { name: joe, secret: not-the-default, permissions: [READ] } ]\nlog:\n  level: silent\n`

// A config file in a fresh directory, its SQLite database beside it.
function configFile (t: Test, yaml: string): string {
  const dir = t.testdir({})
  const file = join(dir, 'config.yaml')
  writeFileSync(file, `storage:\n  database: "sqlite:${dir}/db.sqlite"\n${yaml}`)
  return file
}

// [what, config, [the key the line ends with, the reason it gives]]
const cases: Array<[string, string, [string, string]]> = [
  ['the admin keeps the built-in password', GOOD.replace('password: not-the-default', 'password: change-me'), ['/users/0/password', 'user admin has a built-in default password']],
  ['a config user uses the other built-in password', GOOD.replace('password: not-the-default', 'password: s3cret'), ['/users/0/password', '']],
  ['no users section: the schema default admin', GOOD.replace(/users:\n {2}- .*\n/, ''), ['/users/0/password', '']],
  ['a WebRocket vhost user keeps the built-in secret', GOOD.replace('secret: not-the-default', 'secret: s3cret'), ['/protocols/webrocket/vhosts/~1echo/users/0/secret', 'WebRocket user joe of /echo']],
  ['no webrocket vhosts: the schema default joe', GOOD.replace(/protocols:\n(?:.*\n){4}/, ''), ['/protocols/webrocket/vhosts/~1echo/users/0/secret', '']],
  ['no JWT secret', GOOD.replace(/auth:\n.*\n/, ''), ['/auth/jwtSecret', 'not set']],
  ['a JWT secret of 31 bytes', GOOD.replace(SECRET, SECRET.slice(1)), ['/auth/jwtSecret', '31 bytes; at least 32']],
]

t.test('production refuses built-in defaults: exit code 2, one line naming the key', async (t) => {
  for (const [what, yaml, [key, reason]] of cases) {
    const file = configFile(t, yaml)
    for (const args of [['serve', '--config', file], ['config', 'check', file]]) {
      const result = await run(args, PRODUCTION)
      t.equal(result.code, 2, `${what}: ${args[0]}`)
      t.match(result.err, `error: invalid config: ${reason}`, `${what}: ${args[0]} gives the reason`)
      t.ok(result.err.endsWith(` (${key})`), `${what}: ${args[0]} names the key`)
      t.equal(result.err.split('\n').length, 1, 'one line, no stack trace')
    }
    t.equal((await run(['config', 'check', file])).code, 0, `${what}: fine outside production`)
  }
  const good = configFile(t, GOOD)
  t.equal((await run(['config', 'check', good], PRODUCTION)).code, 0, 'a config without defaults passes in production')
  const fromEnv = configFile(t, GOOD.replace(/auth:\n.*\n/, ''))
  t.equal((await run(['config', 'check', fromEnv], { ...PRODUCTION, JWT_SECRET: SECRET })).code, 0, 'JWT_SECRET counts for the check')
  const several = await run(['config', 'check', configFile(t, GOOD.replace(/auth:\n.*\n/, '').replace('password: not-the-default', 'password: change-me'))], PRODUCTION)
  t.match(several.err, /^error: invalid config: not set .* \(also \/users\/0\/password\) \(\/auth\/jwtSecret\)$/, 'every key on the one line')
})

t.test('production refuses default accounts the database still holds when the config no longer lists them', async (t) => {
  const file = configFile(t, GOOD.replace(/users:\n {2}- .*\n/, 'users: []\n').replace(/ {4}vhosts:\n.*\n.*\n/, '    vhosts:\n      /echo: { users: [] }\n'))
  t.equal((await run(['user', 'add', 'admin', '--password', 'change-me', '--config', file])).code, 0)
  const core = await run(['serve', '--config', file], PRODUCTION)
  t.equal(core.code, 2)
  t.match(core.err, /^error: invalid config: user admin in the database still has its built-in default password.* \(\/users\)$/)
  t.equal((await run(['user', 'remove', 'admin', '--config', file])).code, 0)

  // joe made through REST with the default secret (a user seeded by the config is removed with it).
  const database = (await import('node:fs')).readFileSync(file, 'utf8').split('"')[1]
  const { app, url } = await startApp(t, { storage: { database }, users: [], protocols: { webrocket: { vhosts: { '/echo': { users: [] } } } } })
  t.equal((await request(url, 'PUT', '/api/webrocket/vhosts/echo/users/joe', { apiKey: TEST_API_KEY, body: { secret: 's3cret' } })).status, 201)
  await app.close()
  const webrocket = await run(['serve', '--config', file], PRODUCTION)
  t.equal(webrocket.code, 2)
  t.match(webrocket.err, /^error: invalid config: WebRocket user joe of \/echo in the database still has its built-in default secret.* \(\/protocols\/webrocket\/vhosts\)$/)
})
