import pg from 'pg'
import t from 'tap'
import { openDatabase } from '../../../src/core/db/database.js'
import { POSTGRES_URL, postgresUrl } from '../../helpers/infra.js'

// Kysely finds its migration table by introspecting every schema of the database. Other
// clients creating and dropping schemas meanwhile (other apps' tests, tenants) must not make a
// start-up fail: the scan is retried, the migration itself is unaffected.
t.test('migrations run while other clients create and drop schemas', async (t) => {
  const churn = new pg.Client({ connectionString: POSTGRES_URL })
  await churn.connect()
  let stop = false
  let cycles = 0
  const churning = (async () => {
    while (!stop) {
      const schema = `sbchurn_${process.pid}_${cycles++ % 4}`
      await churn.query(`CREATE SCHEMA IF NOT EXISTS ${schema}; CREATE TABLE IF NOT EXISTS ${schema}.t (id serial primary key)`)
      await churn.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
    }
  })()
  t.teardown(async () => {
    stop = true
    await churning.catch(() => {})
    await churn.end()
  })
  for (let i = 0; i < 25; i++) {
    const database = await openDatabase(await postgresUrl(t))
    const users = await database.kysely.selectFrom('users').select('username').execute()
    await database.close()
    if (users.length !== 0) t.fail(`start ${i}: a fresh schema has users`)
  }
  t.ok(cycles > 10, `${cycles} schemas created and dropped meanwhile`)
  t.pass('every start migrated')
})
