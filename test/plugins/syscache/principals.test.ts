import t from 'tap'
import { SharedPrincipals } from '../../../plugins/syscache/principals.js'

t.test('one frozen principal per user and admin flag', async (t) => {
  const principals = new SharedPrincipals()
  const alice = principals.of('alice', false)
  t.same(alice, { kind: 'user', username: 'alice', admin: false })
  t.equal(principals.of('alice', false), alice, 'shared by the next login of the user')
  t.ok(Object.isFrozen(alice), 'nobody can change it for the other connections')
  t.not(principals.of('bob', false), alice)
  const admin = principals.of('alice', true)
  t.same(admin, { kind: 'user', username: 'alice', admin: true }, 'a changed flag gets its own principal')
  t.same(alice, { kind: 'user', username: 'alice', admin: false }, 'the earlier one is unchanged')
  t.equal(principals.of('alice', true), admin)
})

t.test('past 10,000 users it starts over, still answering the right principal', async (t) => {
  const principals = new SharedPrincipals()
  const first = principals.of('user0', false)
  for (let i = 1; i < 10_000; i++) principals.of(`user${i}`, false)
  t.equal(principals.of('user0', false), first, 'kept up to the limit')
  principals.of('one-more', false)
  const again = principals.of('user0', false)
  t.not(again, first, 'forgotten once the map started over')
  t.same(again, first)
})
