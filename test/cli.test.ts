import { join } from 'node:path'
import t from 'tap'
import { run } from './helpers/cli.js'
import { Tokens } from '../src/core/tokens/tokens.js'
import { MemoryStore } from '../src/core/state/memory-store.js'

t.test('usage and unknown commands', async (t) => {
  t.equal((await run([])).code, 2)
  t.match((await run(['--help'])).out, /usage: switchboard/)
  t.equal((await run(['frobnicate'])).code, 2)
  t.equal((await run(['--bogus'])).code, 2)
  t.equal((await run(['user', 'add'])).code, 2)
})

t.test('config check', async (t) => {
  const dir = t.testdir({ 'good.yaml': 'server:\n  port: 9000\n', 'bad.yaml': 'server:\n  port: nine\n' })
  const good = await run(['config', 'check', join(dir, 'good.yaml')])
  t.equal(good.code, 0)
  t.match(good.out, /ok/)
  const bad = await run(['config', 'check', join(dir, 'bad.yaml')])
  t.equal(bad.code, 2)
  t.match(bad.err, 'config /server/port: Expected integer')
  t.notMatch(bad.err, /at .*\.ts/, 'no stack trace')
  const serveBad = await run(['serve', '--config', join(dir, 'bad.yaml')])
  t.equal(serveBad.code, 2, 'serve refuses an invalid config with exit code 2')
  t.match(serveBad.err, 'config /server/port')
})

t.test('user add, list, token, remove against an SQLite file', async (t) => {
  const dir = t.testdir({})
  const secret = 'cli-test-secret-0123456789'
  const file = join(dir, 'config.yaml')
  const { writeFileSync } = await import('node:fs')
  writeFileSync(file, `storage:\n  database: "sqlite:${dir}/db.sqlite"\nauth:\n  jwtSecret: ${secret}\nusers: []\nlog:\n  level: silent\n`)
  const add = await run(['user', 'add', 'carol', '--password', 'pw', '--admin', '--config', file])
  t.equal(add.code, 0)
  t.match(add.out, 'added carol (admin)')
  t.equal((await run(['user', 'add', 'carol', '--password', 'pw', '--config', file])).code, 1, 'duplicate')
  t.match((await run(['user', 'list', '--config', file])).out, /carol\tadmin/)
  const token = await run(['token', 'carol', '--config', file])
  t.equal(token.code, 0)
  const tokens = new Tokens({ secret, accessTtlMs: 1000, refreshTtlMs: 1000, store: new MemoryStore() })
  t.match(await tokens.verifyAccess(token.out.trim()), { ok: true, claims: { username: 'carol', admin: true } })
  t.equal((await run(['token', 'nobody', '--config', file])).code, 1)
  t.equal((await run(['user', 'remove', 'carol', '--config', file])).code, 0)
  t.equal((await run(['user', 'remove', 'carol', '--config', file])).code, 1)
})

t.test('openapi prints the document', async (t) => {
  const dir = t.testdir({})
  const out = join(dir, 'openapi.json')
  t.equal((await run(['openapi', '--out', out])).code, 0)
  const { readFileSync } = await import('node:fs')
  const doc = JSON.parse(readFileSync(out, 'utf8'))
  t.equal(doc.openapi, '3.0.3')
  t.ok(doc.paths['/oauth2/token'])
})
