import t from 'tap'
import { SessionRegistry, type RevocableSession } from '../../../plugins/syscache/registry.js'

class FakeSession implements RevocableSession {
  revokedCount = 0
  constructor (readonly username: string | null) {}
  revoked (): void { this.revokedCount++ }
}

t.test('a token cleared logs out every session bound to it, alone or shared, and only those', async (t) => {
  const registry = new SessionRegistry<FakeSession>()
  const [a, b, c, other] = [new FakeSession('ann'), new FakeSession('ann'), new FakeSession('ann'), new FakeSession('bob')]
  for (const s of [a, b, c, other]) registry.add(s)
  registry.bind(a, 'h1')
  registry.bind(a, 'h1')
  registry.bind(other, 'h2')
  registry.tokenCleared('h1')
  t.same([a.revokedCount, other.revokedCount], [1, 0], 'one session alone, bound twice, is told once')

  registry.bind(b, 'h1')
  registry.bind(c, 'h1')
  registry.tokenCleared('h1')
  t.same([a.revokedCount, b.revokedCount, c.revokedCount], [2, 1, 1], 'shared: all of them')

  registry.unbind(a, 'h1')
  registry.unbind(b, 'h1')
  registry.unbind(other, 'h1')
  registry.tokenCleared('h1')
  t.same([a.revokedCount, b.revokedCount, c.revokedCount, other.revokedCount], [2, 1, 2, 0], 'unbound ones are not')
  registry.unbind(c, 'h1')
  registry.tokenCleared('h1')
  t.equal(c.revokedCount, 2, 'the last one unbound empties the entry')
  registry.unbind(other, 'h2')
  registry.unbind(other, 'h2')
  registry.tokenCleared('h2')
  registry.tokenCleared('never-bound')
  t.equal(other.revokedCount, 0)

  registry.userRevoked('bob')
  t.equal(other.revokedCount, 1, 'a user revoked: every session of that user')
  registry.remove(other)
  registry.userRevoked('bob')
  t.equal(other.revokedCount, 1, 'removed sessions are not')
})
