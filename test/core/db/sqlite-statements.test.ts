import SqliteDatabase from 'better-sqlite3'
import t from 'tap'
import { withStatementCache } from '../../../src/core/db/sqlite-statements.js'

function counted () {
  const db = new SqliteDatabase(':memory:')
  let prepared = 0
  const prepare = db.prepare.bind(db)
  db.prepare = ((sql: string) => {
    prepared++
    return prepare(sql)
  }) as typeof db.prepare
  db.exec('CREATE TABLE n (v INTEGER); INSERT INTO n VALUES (1), (2), (3)')
  return { db, prepared: () => prepared }
}

t.test('the same SQL text is prepared once and its statement runs again', async (t) => {
  const { db, prepared } = counted()
  const cached = withStatementCache(db)
  const select = 'SELECT v FROM n WHERE v > ? ORDER BY v'
  t.same(cached.prepare(select).all([1]), [{ v: 2 }, { v: 3 }])
  t.same(cached.prepare(select).all([2]), [{ v: 3 }], 'new parameters, same statement')
  t.equal(prepared(), 1)
  cached.prepare('INSERT INTO n VALUES (?)').run([4])
  t.same(cached.prepare(select).all([3]), [{ v: 4 }], 'sees writes made through another statement')
  t.equal(prepared(), 2)
  cached.close()
  t.equal(db.open, false, 'close closes the database')
})

t.test('a statement still iterating is not handed out again', async (t) => {
  const { db, prepared } = counted()
  const cached = withStatementCache(db)
  const select = 'SELECT v FROM n ORDER BY v'
  const rows = cached.prepare(select).iterate([])
  t.same(rows.next().value, { v: 1 })
  t.same(cached.prepare(select).all([]), [{ v: 1 }, { v: 2 }, { v: 3 }], 'a second caller runs while the first iterates')
  t.same(Array.from(rows as Iterable<unknown>), [{ v: 2 }, { v: 3 }], 'the first iteration goes on undisturbed')
  t.equal(prepared(), 2)
  t.same(cached.prepare(select).all([]).length, 3, 'the kept statement is free again')
  t.equal(prepared(), 2)
  cached.close()
})

t.test('at most `limit` statements are kept; the oldest goes first', async (t) => {
  const { db, prepared } = counted()
  const cached = withStatementCache(db, 2)
  const q = (n: number) => cached.prepare(`SELECT ${n} AS v`).all([])
  q(1); q(2); q(1)
  t.equal(prepared(), 2, 'both kept')
  q(3) // drops 1
  q(2)
  t.equal(prepared(), 3, '2 still kept')
  q(1)
  t.equal(prepared(), 4, '1 was dropped and is prepared again')
  cached.close()
})
