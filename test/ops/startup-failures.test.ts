import { writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { TEST_SECRET } from '../helpers/config.js'
import { POSTGRES_URL } from '../helpers/infra.js'
import { runBuilt } from '../helpers/spawn-server.js'

// Each start-up failure an operator meets (issue 18): one line naming what and where, exit 1
// (2 for configuration), no stack trace unless LOG_LEVEL=debug.
const config = (t: Test, yaml = '') => {
  const dir = t.testdir({})
  const file = join(dir, 'config.yaml')
  writeFileSync(file, `storage:\n  database: "sqlite:${dir}/db.sqlite"\nauth:\n  jwtSecret: ${TEST_SECRET}\nusers: []\nlog:\n  level: warn\n${yaml}`)
  return file
}
const oneLine = (t: Test, text: string, line: string | RegExp) => {
  const lines = text.trim().split('\n')
  t.equal(lines.length, 1, 'one line')
  t.match(lines[0], line)
  t.notMatch(text, /\n\s+at /, 'no stack trace')
}

t.test('unreachable PostgreSQL: exit 1, the URL without its password', async (t) => {
  const result = await runBuilt('server', ['--config', config(t)], { PORT: '0', DATABASE_URL: 'postgres://bob:hunter2@127.0.0.1:1/x' })
  t.equal(result.code, 1)
  oneLine(t, result.err, 'error: cannot open the database: connect ECONNREFUSED 127.0.0.1:1 (postgres://bob@127.0.0.1:1/x)')
  t.notMatch(result.err + result.out, /hunter2/)
})

t.test('a database PostgreSQL does not have', async (t) => {
  const url = new URL(POSTGRES_URL)
  url.pathname = '/switchboard_no_such_database'
  url.password = 'pw-not-shown'
  const result = await runBuilt('server', ['--config', config(t)], { PORT: '0', DATABASE_URL: url.toString() })
  t.equal(result.code, 1)
  oneLine(t, result.err, /^error: cannot open the database: .*switchboard_no_such_database.* \(postgres:\/\/[^:]+@/)
  t.notMatch(result.err, /pw-not-shown/)
})

t.test('a port in use: named by the variable that set it, or by its key', async (t) => {
  const blocker = createServer()
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
  t.teardown(() => blocker.close())
  const port = (blocker.address() as { port: number }).port
  const fromEnv = await runBuilt('server', ['--config', config(t)], { PORT: String(port) })
  t.equal(fromEnv.code, 1)
  oneLine(t, fromEnv.err, `error: cannot listen on 127.0.0.1 port ${port}: the port is in use (PORT)`)
  const fromFile = await runBuilt('server', ['--config', config(t, `server:\n  port: ${port}\n`)], {})
  t.equal(fromFile.code, 1)
  oneLine(t, fromFile.err, `error: cannot listen on 127.0.0.1 port ${port}: the port is in use (/server/port)`)
})

t.test('production without JWT_SECRET: exit 2, the key', async (t) => {
  const file = config(t)
  writeFileSync(file, 'users: []\nprotocols:\n  webrocket:\n    vhosts:\n      /echo: { users: [] }\n')
  const result = await runBuilt('server', ['--config', file], { PORT: '0', NODE_ENV: 'production', DATA_DIR: t.testdirName })
  t.equal(result.code, 2)
  oneLine(t, result.err, /^error: invalid config: not set \(nor JWT_SECRET\).*refused with NODE_ENV=production \(\/auth\/jwtSecret\)$/)
})

t.test('a Really model key that is not a collection: refused by start-up and by config check alike', async (t) => {
  const file = config(t, 'protocols:\n  really:\n    models:\n      /users/1/: { fields: {} }\n')
  const line = 'error: invalid config: /users/1/ refused: expected models keyed by a collection R such as /users/ or /users/*/posts/ (/protocols/really/models/~1users~11~1)'
  const started = await runBuilt('server', ['--config', file], { PORT: '0' })
  t.equal(started.code, 2)
  oneLine(t, started.err, line)
  const checked = await runBuilt('cli', ['config', 'check', file], {})
  t.equal(checked.code, 2)
  oneLine(t, checked.err, line)
})

t.test('config check runs the checks a plugin makes as it registers', async (t) => {
  const file = config(t, 'protocols:\n  really:\n    models:\n      /users/: { fields: { _secret: { type: string } } }\n')
  const line = 'error: invalid config: protocols.really.models/users/: field _secret may not start with _'
  const checked = await runBuilt('cli', ['config', 'check', file], {})
  t.equal(checked.code, 2)
  oneLine(t, checked.err, line)
  const started = await runBuilt('server', ['--config', file], { PORT: '0' })
  t.equal(started.code, 2)
  oneLine(t, started.err, line)
})

t.test('LOG_LEVEL=debug adds the stack (and its cause)', async (t) => {
  const result = await runBuilt('server', ['--config', config(t)], { PORT: '0', LOG_LEVEL: 'debug', DATABASE_URL: 'postgres://bob:hunter2@127.0.0.1:1/x' })
  t.equal(result.code, 1)
  const [first, ...rest] = result.err.trim().split('\n')
  t.equal(first, 'error: cannot open the database: connect ECONNREFUSED 127.0.0.1:1 (postgres://bob@127.0.0.1:1/x)')
  t.match(rest.join('\n'), /StartupFailure[\s\S]*\n\s+at [\s\S]*ECONNREFUSED/)
})
