import t from 'tap'
import { ConnectionRegistry } from '../../../src/core/connection-registry.js'
import { ConnectionTopics } from '../../../src/core/hub/connection-topics.js'
import { Hub } from '../../../src/core/hub/hub.js'
import { MemoryBroker } from '../../../src/core/hub/memory-broker.js'
import { Collector } from '../hub/hub-contract.js'
import { FakeConnection, FakeSession, user } from './fakes.js'

function registry (onError?: (err: unknown) => void) {
  const hub = new Hub(new MemoryBroker())
  const topics = new ConnectionTopics(hub, () => {})
  return { hub, topics, connections: new ConnectionRegistry({ topics, onError }) }
}

t.test('a user\'s connections are revoked by their own policy, on every protocol, and only theirs', async (t) => {
  const { connections } = registry()
  const [a, b, c, anon, other] = [new FakeConnection('syscache'), new FakeConnection('das'), new FakeConnection('really'), new FakeConnection('really'), new FakeConnection('das')]
  const sessions = [new FakeSession(), new FakeSession(), new FakeSession(), new FakeSession(), new FakeSession()]
  const all = [a, b, c, anon, other]
  all.forEach((connection) => connections.add(connection))
  connections.authenticated(a, user('ann'), sessions[0])
  connections.authenticated(b, user('ann'), sessions[1])
  connections.authenticated(c, user('ann'), sessions[2])
  connections.authenticated(anon, { kind: 'anonymous', id: 'x' }, sessions[3])
  connections.authenticated(other, user('bob'), sessions[4])
  t.same(a.principal, user('ann'), 'the registry sets the principal')
  t.same(connections.ofUser('ann'), [a, b, c])

  connections.loggedOut(c)
  t.equal(c.principal, null)
  t.equal(connections.revokeUser('ann', 'user-revoked'), 2, 'two holders told')
  t.same(sessions.map((s) => s.causes), [['user-revoked'], ['user-revoked'], [], [], []], 'logged-out, anonymous and other users are not')
  t.equal(connections.revokeUser('ann', 'user-revoked'), 0, 'told once: a revoked holder leaves the index')
  t.same(connections.ofUser('ann'), [])
  t.equal(connections.revokeUser('nobody', 'password-changed'), 0)
})

t.test('a token revocation reaches only the holders of that token', async (t) => {
  const { connections } = registry()
  const [a, b, c] = [new FakeConnection(), new FakeConnection(), new FakeConnection()]
  const [sa, sb, sc] = [new FakeSession('jti-1'), new FakeSession('jti-2'), new FakeSession()]
  for (const [connection, session] of [[a, sa], [b, sb], [c, sc]] as const) {
    connections.add(connection)
    connections.authenticated(connection, user('ann'), session)
  }
  t.equal(connections.revokeToken('ann', 'jti-1'), 1)
  t.equal(connections.revokeToken('bob', 'jti-2'), 0, 'the token of another user is another token')
  t.same([sa.causes, sb.causes, sc.causes], [['token-revoked'], [], []])
  sb.revocationToken = 'jti-3'
  t.equal(connections.revokeToken('ann', 'jti-2'), 0, 'the holder\'s current token counts')
  t.same(connections.ofUser('ann'), [b, c], 'the others stay indexed')
})

t.test('authenticating again moves the connection; removing it unindexes it and leaves its topics', async (t) => {
  const { connections, topics, hub } = registry()
  const connection = new FakeConnection()
  const session = new FakeSession()
  connections.add(connection)
  connections.authenticated(connection, user('ann'), session)
  connections.authenticated(connection, user('bob'), session)
  t.same([connections.ofUser('ann'), connections.ofUser('bob')], [[], [connection]])
  await topics.join(connection, 'room', new Collector())
  t.equal(hub.subscriberCount('room'), 1)

  connections.remove(connection)
  t.equal(connections.size, 0)
  t.same(connections.ofUser('bob'), [])
  t.equal(hub.subscriberCount('room'), 0, 'left the hub topic')
  t.equal(topics.countOf(connection), 0)
  connections.authenticated(connection, user('bob'), session)
  t.same(connections.ofUser('bob'), [], 'a connection authenticated after it ended is not indexed')
  t.equal(connections.revokeUser('bob', 'user-revoked'), 0)
})

t.test('kept holders are revoked with the user\'s connections until released', async (t) => {
  const { connections } = registry()
  const kept = new FakeSession()
  const released = new FakeSession()
  connections.keepForUser('ann', kept)
  connections.keepForUser('ann', released)
  connections.releaseForUser('ann', released)
  t.same(connections.ofUser('ann'), [], 'kept holders are not connections')
  t.equal(connections.revokeUser('ann', 'password-changed'), 1)
  t.same([kept.causes, released.causes], [['password-changed'], []])
})

t.test('a policy that throws is reported and the other holders are still told', async (t) => {
  const errors: unknown[] = []
  const { connections } = registry((err) => errors.push(err))
  const [a, b] = [new FakeConnection(), new FakeConnection()]
  const failing = new FakeSession(null, () => { throw new Error('policy bug') })
  const fine = new FakeSession()
  connections.add(a)
  connections.add(b)
  connections.authenticated(a, user('ann'), failing)
  connections.authenticated(b, user('ann'), fine)
  t.equal(connections.revokeUser('ann', 'user-revoked'), 2)
  t.same(fine.causes, ['user-revoked'])
  t.match(errors, [{ message: 'policy bug' }])
})

t.test('a policy that closes or logs out while being told changes nothing for the others', async (t) => {
  const { connections } = registry()
  const [a, b] = [new FakeConnection(), new FakeConnection()]
  const closing = new FakeSession(null, () => connections.remove(a))
  const loggingOut = new FakeSession(null, () => connections.loggedOut(b))
  connections.add(a)
  connections.add(b)
  connections.authenticated(a, user('ann'), closing)
  connections.authenticated(b, user('ann'), loggingOut)
  t.equal(connections.revokeUser('ann', 'user-revoked'), 2)
  t.same([closing.causes, loggingOut.causes], [['user-revoked'], ['user-revoked']])
  t.equal(connections.size, 1)
  t.equal(b.principal, null)
})

t.test('counting and listing', async (t) => {
  const { connections } = registry()
  const a = new FakeConnection('syscache', '10.0.0.1')
  const b = new FakeConnection('das', '10.0.0.2')
  const c = new FakeConnection('das', '10.0.0.3')
  for (const connection of [a, b, c]) connections.add(connection)
  connections.authenticated(b, user('ann'), new FakeSession())
  connections.authenticated(c, { kind: 'anonymous', id: 'z' }, new FakeSession())
  t.same(connections.countByProtocol(), { syscache: 1, das: 2 })
  t.same(connections.list(), [
    { id: a.id, protocol: 'syscache', user: null, address: '10.0.0.1', connectedSince: a.connectedAt },
    { id: b.id, protocol: 'das', user: 'ann', address: '10.0.0.2', connectedSince: b.connectedAt },
    { id: c.id, protocol: 'das', user: null, address: '10.0.0.3', connectedSince: c.connectedAt },
  ])
  connections.closeAll(1001, 'bye')
  t.same([a, b, c].map((x) => x.closedWith), [[1001, 'bye'], [1001, 'bye'], [1001, 'bye']])
})

t.test('observers hear each connection open, authenticate and close once; a throwing one reaches onError only', async (t) => {
  const errors: unknown[] = []
  const { connections } = registry((err) => errors.push(err))
  const heard: string[] = []
  connections.observe({ opened: () => { throw new Error('observer bug') } })
  connections.observe({
    opened: (c, opening) => heard.push(`opened ${c.id} ${opening.userAgent ?? '-'}`),
    authenticated: (c, name) => heard.push(`authenticated ${c.id} ${c.principal?.kind} ${name}`),
    closed: (c, end) => heard.push(`closed ${c.id} ${end.code} ${end.reason}`),
  })
  connections.observe({})
  const a = new FakeConnection('webrocket')
  connections.add(a, { userAgent: 'curl' })
  connections.authenticated(a, user('ann'), new FakeSession())
  connections.remove(a, { code: 1001, reason: 'going away' })
  connections.remove(a, { code: 1006, reason: '' })
  const b = new FakeConnection('das')
  connections.add(b)
  connections.remove(b)
  const c = new FakeConnection('webrocket')
  connections.add(c)
  connections.authenticated(c, { kind: 'anonymous', id: 'x' }, new FakeSession())
  connections.identified(c, 'joe')
  t.same(heard, [
    `opened ${a.id} curl`, `authenticated ${a.id} user ann`, `closed ${a.id} 1001 going away`,
    `opened ${b.id} -`, `closed ${b.id} null `,
    `opened ${c.id} -`, `authenticated ${c.id} anonymous null`, `authenticated ${c.id} anonymous joe`,
  ])
  t.equal(errors.length, 3, 'the throwing observer was reported, and the others still told')
  t.same(connections.ofUser('joe'), [], 'a protocol\'s own name is not indexed as a core user')
})

t.test('a connection counts its traffic', async (t) => {
  const c = new FakeConnection()
  c.traffic.received(10)
  c.traffic.sent(3)
  c.traffic.sent(4)
  t.match(c.traffic, { framesIn: 1, bytesIn: 10, framesOut: 2, bytesOut: 7 })
})

t.test('per-protocol figures: opened, closed by code once, traffic of closed connections, flow control', async (t) => {
  const { connections } = registry()
  const [a, b, c] = [new FakeConnection('webrocket'), new FakeConnection('webrocket'), new FakeConnection('das')]
  for (const connection of [a, b, c]) connections.add(connection)
  a.traffic.received(10)
  a.traffic.sent(30)
  a.traffic.sent(20)
  c.traffic.sent(5)
  connections.remove(a, { code: 1000, reason: '' })
  connections.remove(a, { code: 1006, reason: 'reported twice' })
  connections.remove(c, { code: null, reason: 'transport close' })
  connections.slowConsumerClosed('webrocket')
  connections.slowConsumerClosed('das')
  connections.readingPaused('webrocket')
  const webrocket = connections.figures.of('webrocket')
  t.equal(webrocket.opened, 2)
  t.same([...webrocket.closed], [['1000', 1]], 'closed once, with its first code')
  t.same([webrocket.framesIn, webrocket.bytesIn, webrocket.framesOut, webrocket.bytesOut], [1, 10, 2, 50], 'the closed connection\'s traffic')
  t.same([...connections.figures.of('das').closed], [['none', 1]], 'no close code: none')
  t.equal(webrocket.inboundPaused, 1)
  t.equal(connections.slowConsumersClosed, 2, 'slow consumers of every protocol')
  t.same([...connections.live()], [b], 'the live connections')
})
