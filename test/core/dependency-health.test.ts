import t from 'tap'
import pg from 'pg'
import { DependencyHealth } from '../../src/core/dependency-health.js'
import { isDatabaseUnavailable } from '../../src/core/db/unavailable.js'
import { withoutPassword } from '../../src/core/errors.js'

function recorder () {
  const lines: Array<[string, string]> = []
  return { lines, log: { info: (_: object, msg?: string) => lines.push(['info', msg!]), warn: (_: object, msg?: string) => lines.push(['warn', msg!]) } }
}

t.test('one warning when the first client goes, one line when the last is back', async (t) => {
  const { lines, log } = recorder()
  const health = new DependencyHealth('redis', log)
  health.up('store')
  t.same(lines, [], 'up while up: nothing')
  health.report(new Error('odd'), 'publish failed')
  t.same(lines, [['warn', 'publish failed']], 'a failure outside an outage is logged')
  health.down('store', new Error('ECONNREFUSED'))
  health.down('store', new Error('ECONNREFUSED'))
  health.down('pub', new Error('ECONNREFUSED'))
  health.report(new Error('ECONNREFUSED'), 'publish failed')
  t.equal(health.available, false)
  health.up('store')
  t.same(lines.slice(1), [['warn', 'redis unavailable']], 'one warning, still down while pub is')
  health.up('pub')
  t.same(lines.slice(1), [['warn', 'redis unavailable'], ['info', 'redis is back']])
  t.equal(health.available, true)
})

t.test('database errors that mean an outage, and those that do not', async (t) => {
  const client = new pg.Client({ connectionString: 'postgres://nobody@127.0.0.1:1/x' })
  const refused = await client.connect().then(() => null, (err: Error) => err)
  t.ok(isDatabaseUnavailable(refused), 'connection refused')
  t.ok(isDatabaseUnavailable(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' })))
  t.ok(isDatabaseUnavailable(Object.assign(new Error('x'), { code: '08006' })))
  t.ok(isDatabaseUnavailable(new Error('Connection terminated unexpectedly')))
  t.notOk(isDatabaseUnavailable(Object.assign(new Error('syntax error'), { code: '42601' })))
  t.notOk(isDatabaseUnavailable(new Error('no such table')))
  t.notOk(isDatabaseUnavailable('ECONNREFUSED'))
})

t.test('URLs lose their password', async (t) => {
  t.equal(withoutPassword('postgres://bob:hunter2@db:5432/x'), 'postgres://bob@db:5432/x')
  t.equal(withoutPassword('postgres://db/x?password=hunter2&sslmode=require'), 'postgres://db/x?sslmode=require')
  t.equal(withoutPassword('sqlite:./data/x.db'), 'sqlite:./data/x.db')
  t.equal(withoutPassword('not a url://bob:hunter2@db'), 'not a url://bob@db')
})
