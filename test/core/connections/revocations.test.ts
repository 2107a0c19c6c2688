import t from 'tap'
import { ConnectionRegistry } from '../../../src/core/connection-registry.js'
import { ConnectionTopics } from '../../../src/core/hub/connection-topics.js'
import { Hub } from '../../../src/core/hub/hub.js'
import { RedisBroker } from '../../../src/core/hub/redis-broker.js'
import { REVOCATIONS_TOPIC, Revocations } from '../../../src/core/revocation/revocations.js'
import { MemoryStore } from '../../../src/core/state/memory-store.js'
import { Tokens } from '../../../src/core/tokens/tokens.js'
import { REDIS_URL, redisPrefix } from '../../helpers/infra.js'
import { eventually } from '../../helpers/ws-client.js'
import { FakeConnection, FakeSession, user } from './fakes.js'

type Test = Parameters<Parameters<typeof t.test>[0]>[0]

/** One node: its own broker connection, registry and revocations; the token store is shared. */
async function node (t: Test, prefix: string, tokens: Tokens) {
  const broker = new RedisBroker({ url: REDIS_URL, prefix })
  t.teardown(() => broker.close())
  await eventually(() => broker.isReady(), 2000, 'redis ready')
  const hub = new Hub(broker)
  const connections = new ConnectionRegistry({ topics: new ConnectionTopics(hub, () => {}) })
  const invalid: unknown[] = []
  const revocations = new Revocations(hub, tokens, connections, (data) => invalid.push(data))
  await revocations.start()
  t.teardown(() => revocations.stop())
  return { hub, connections, revocations, invalid }
}

function authenticated (connections: ConnectionRegistry, username: string, token: string | null = null) {
  const connection = new FakeConnection()
  const session = new FakeSession(token)
  connections.add(connection)
  connections.authenticated(connection, user(username), session)
  return session
}

t.test('a revocation on node A reaches the connections on node B (Redis), each told once', async (t) => {
  const prefix = redisPrefix(t)
  const tokens = new Tokens({ secret: 'test-secret', accessTtlMs: 60_000, refreshTtlMs: 60_000, store: new MemoryStore() })
  const a = await node(t, prefix, tokens)
  const b = await node(t, prefix, tokens)
  const annOnB = authenticated(b.connections, 'ann')
  const annOnA = authenticated(a.connections, 'ann')
  const bobOnB = authenticated(b.connections, 'bob')

  const before = Date.now() - 1
  await a.revocations.revokeUser('ann')
  await eventually(() => annOnB.causes.length === 1 && annOnA.causes.length === 1, 2000, 'both nodes told')
  t.same([annOnB.causes, annOnA.causes, bobOnB.causes], [['user-revoked'], ['user-revoked'], []])
  t.ok(await tokens.isUserRevoked('ann', before), 'the user\'s tokens are revoked too')

  const issued = tokens.issueAccess({ username: 'bob', admin: false })
  const claims = await tokens.verifyAccess(issued.token)
  if (!claims.ok) throw new Error('token not valid')
  const withToken = authenticated(b.connections, 'bob', claims.claims.jti)
  await a.revocations.revokeToken(issued.token)
  await eventually(() => withToken.causes.length === 1, 2000, 'the token\'s holder on B told')
  t.same([withToken.causes, bobOnB.causes], [['token-revoked'], []], 'the user\'s other connection stays')
  t.same(await tokens.verifyAccess(issued.token), { ok: false, reason: 'invalid' })
  await a.revocations.revokeToken('not-a-token')

  await b.revocations.revokeUser('bob', 'password-changed')
  await eventually(() => bobOnB.causes.length === 1, 2000, 'password change told')
  t.same(bobOnB.causes, ['password-changed'])
  t.same([a.invalid, b.invalid], [[], []])
})

t.test('a malformed notice is reported, not applied', async (t) => {
  const tokens = new Tokens({ secret: 'test-secret', accessTtlMs: 60_000, refreshTtlMs: 60_000, store: new MemoryStore() })
  const a = await node(t, redisPrefix(t), tokens)
  const ann = authenticated(a.connections, 'ann')
  await a.hub.publish(REVOCATIONS_TOPIC, { username: 'ann' })
  await a.hub.publish(REVOCATIONS_TOPIC, { username: 'ann', cause: 'whatever' })
  await eventually(() => a.invalid.length === 2, 2000, 'both reported')
  t.same(a.invalid, [{ username: 'ann' }, { username: 'ann', cause: 'whatever' }])
  t.same(ann.causes, [])
})
