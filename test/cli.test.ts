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
  t.equal(bad.err, 'error: invalid config: expected an integer from 0 to 65535 (/server/port)')
  t.notMatch(bad.err, /at .*\.ts/, 'no stack trace')
  const serveBad = await run(['serve', '--config', join(dir, 'bad.yaml')])
  t.equal(serveBad.code, 2, 'serve refuses an invalid config with exit code 2')
  t.match(serveBad.err, '(/server/port)')
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

t.test('user roles, and token --role/--channel/--ttl narrowing', async (t) => {
  const dir = t.testdir({})
  const secret = 'cli-test-secret-0123456789'
  const file = join(dir, 'config.yaml')
  const { writeFileSync } = await import('node:fs')
  writeFileSync(file, `storage:\n  database: "sqlite:${dir}/db.sqlite"\nauth:\n  jwtSecret: ${secret}\n  passwordHashing: { cost: 1024 }\nusers: []\nlog:\n  level: silent\n`)
  t.match((await run(['user', 'add', 'dana', '--password', 'pw', '--role', 'ops', '--role', 'audit', '--config', file])).out, 'added dana with roles audit, ops')
  t.match((await run(['user', 'list', '--config', file])).out, /dana\tuser\t\taudit,ops/)
  t.equal((await run(['user', 'roles', 'dana', '--config', file])).out, 'dana: audit ops')
  t.equal((await run(['user', 'roles', 'dana', 'ops', 'viewer', '--config', file])).out, 'dana: ops viewer')
  const bad = await run(['user', 'roles', 'dana', 'admin', '--config', file])
  t.equal(bad.code, 1)
  t.match(bad.err, 'admin: true')
  t.equal((await run(['user', 'roles', 'nobody', 'ops', '--config', file])).code, 1)

  const tokens = new Tokens({ secret, accessTtlMs: 1000, refreshTtlMs: 1000, store: new MemoryStore() })
  const narrowed = await run(['token', 'dana', '--role', 'ops', '--channel', 'webrocket:/echo/*', '--ttl', '90s', '--config', file])
  t.equal(narrowed.code, 0)
  t.match(await tokens.verifyAccess(narrowed.out.trim()), { ok: true, claims: { username: 'dana', roles: ['ops'], channels: ['webrocket:/echo/*'] } })
  const payload = JSON.parse(Buffer.from(narrowed.out.trim().split('.')[1], 'base64url').toString())
  t.equal(payload.exp - payload.iat, 90, '--ttl')
  const wider = await run(['token', 'dana', '--role', 'audit', '--config', file])
  t.equal(wider.code, 1, 'a role the user lost cannot be claimed')
  t.match(wider.err, 'role audit is not one of dana\'s roles')
  t.match((await run(['token', 'dana', '--ttl', 'soon', '--config', file])).err, '--ttl soon: expected a duration')

  t.equal((await run(['user', 'roles', 'dana', '--clear', '--config', file])).out, 'dana: (no roles)')
})

t.test('config check in production warns about anonymous access left on allow, and passes', async (t) => {
  const dir = t.testdir({})
  const file = join(dir, 'config.yaml')
  const { writeFileSync } = await import('node:fs')
  writeFileSync(file, 'auth:\n  jwtSecret: "a-production-secret-of-32-bytes!"\nusers: []\nprotocols:\n  webrocket:\n    vhosts:\n      /echo: { users: [] }\n')
  const result = await run(['config', 'check', file], { NODE_ENV: 'production' })
  t.equal(result.code, 0)
  t.match(result.err, /^warning: config \/access\/defaults\/really: allow, and anyone may take an anonymous token/)
  t.equal((await run(['config', 'check', file])).err, '', 'not outside production')
  writeFileSync(file, 'auth:\n  jwtSecret: "a-production-secret-of-32-bytes!"\nusers: []\nprotocols:\n  webrocket:\n    vhosts:\n      /echo: { users: [] }\naccess:\n  defaults: { really: deny }\n')
  t.equal((await run(['config', 'check', file], { NODE_ENV: 'production' })).err, '', 'nothing left to warn about')
})
