import { createServer } from 'node:http'
import t from 'tap'
import { ConnectionTopics } from '../../../src/core/hub/connection-topics.js'
import { Hub } from '../../../src/core/hub/hub.js'
import { MemoryBroker } from '../../../src/core/hub/memory-broker.js'
import { DasConnection } from '../../../plugins/das/connection.js'
import { ALL_TOPIC, DeliveryFeed, publishDelivery, socketTopic, topicOf, userTopic, type FeedContext } from '../../../plugins/das/delivery-feed.js'
import { bboxContains, eventMatches, insideBbox, parseBbox, patrolMatches, positionOf } from '../../../plugins/das/filters.js'
import { checks, firstError } from '../../../plugins/das/messages.js'
import { deliverTo, payloadFor, DasSessions } from '../../../plugins/das/registry.js'
import { DasSession, type SessionOptions, type SessionSocket } from '../../../plugins/das/session.js'
import { listenersAddedBy, routeUpgrades } from '../../../plugins/das/upgrade-router.js'

/** Records what a session emits instead of sending it. */
class FakeSocket implements SessionSocket {
  readonly emitted: Array<{ event: string, args: unknown[] }> = []
  disconnects = 0
  /** Engine.IO connections closed without a DISCONNECT (SessionOptions.closeTransport). */
  transportCloses = 0
  constructor (readonly id = 'sid-1') {}
  emit (event: string, ...args: unknown[]) { this.emitted.push({ event, args }) }
  disconnect () { this.disconnects++ }
  last (event: string) { return [...this.emitted].reverse().find((e) => e.event === event)?.args[0] as Record<string, any> } // eslint-disable-line @typescript-eslint/no-explicit-any
}

const silentLog = { info () {}, warn () {} }

function session (overrides: Partial<SessionOptions> = {}, socket = new FakeSocket()) {
  const s = new DasSession(socket, {
    authWindow: 0,
    connectAckDelay: 10_000,
    verifyAccess: async (token) => token === 'good'
      ? { ok: true, claims: { username: 'alice', admin: false, jti: 'j', expiresAt: Date.now() + 1000, issuedAt: Date.now() } }
      : { ok: false, reason: 'invalid' },
    listen: async () => {},
    onAuthenticated () {},
    gateFor: () => null,
    closeTransport: () => { socket.transportCloses++ },
    log: silentLog,
    ...overrides,
  })
  return { s, socket }
}

t.test('parseBbox', async (t) => {
  t.same(parseBbox('1,2,3,4'), { ok: true, bbox: { west: 1, south: 2, east: 3, north: 4 } })
  t.same(parseBbox(' 170 , -10, -170, 10 '), { ok: true, bbox: { west: 170, south: -10, east: -170, north: 10 } })
  t.same(parseBbox(''), { ok: true, bbox: null })
  t.same(parseBbox(null), { ok: true, bbox: null })
  for (const bad of ['1,2,3', '1,2,3,4,5', 'a,1,2,3', '1,,2,3', '181,0,1,1', '0,91,1,92', '0,10,1,5', 'Infinity,0,1,1']) {
    t.equal(parseBbox(bad).ok, false, bad)
  }
})

t.test('bbox containment and positions', async (t) => {
  const box = { west: 30, south: -5, east: 40, north: 5 }
  t.ok(bboxContains(box, [36, 0]))
  t.notOk(bboxContains(box, [36, 6]))
  t.notOk(bboxContains(box, [41, 0]))
  const across = { west: 170, south: -10, east: -170, north: 10 }
  t.ok(bboxContains(across, [175, 0]))
  t.ok(bboxContains(across, [-175, 0]))
  t.notOk(bboxContains(across, [0, 0]))

  t.same(positionOf({ geometry: { type: 'Point', coordinates: [1, 2] } }), [1, 2])
  t.same(positionOf({ last_position: { type: 'Feature', geometry: { coordinates: [3, 4] } } }), [3, 4])
  t.same(positionOf({ last_position: { type: 'Point', coordinates: [5, 6] } }), [5, 6])
  t.same(positionOf({ location: { latitude: 8, longitude: 7 } }), [7, 8])
  t.same(positionOf({ event_data: { location: { latitude: 10, longitude: 9 } } }), [9, 10])
  t.same(positionOf({ type: 'Point', coordinates: [11, 12] }), [11, 12])
  t.equal(positionOf({ geometry: { coordinates: ['1', 2] } }), null)
  t.equal(positionOf({ location: { latitude: 'x', longitude: 1 } }), null)
  t.equal(positionOf({ geometry: { coordinates: [1] } }), null)
  t.equal(positionOf({}), null)
  t.ok(insideBbox(null, { location: { latitude: 80, longitude: 0 } }))
  t.ok(insideBbox(box, {}))
  t.notOk(insideBbox(box, { location: { latitude: 80, longitude: 0 } }))
})

t.test('event and patrol filters', async (t) => {
  const event = { title: 'Arrest made', event_type: 'arrest_rep', serial_number: 1234, state: 'new', priority: 300, event_category: { value: 'security' } }
  t.ok(eventMatches(null, event))
  t.ok(eventMatches({}, event))
  t.ok(eventMatches({ text: 'ARREST' }, event))
  t.ok(eventMatches({ text: '123' }, event))
  t.notOk(eventMatches({ text: 'fire' }, event))
  t.ok(eventMatches({ state: ['new'], filter: { event_type: ['arrest_rep'], priority: [300], event_category: ['security'] } }, event))
  t.notOk(eventMatches({ state: ['resolved'] }, event))
  t.notOk(eventMatches({ filter: { event_category: ['monitoring'] } }, event))
  t.ok(eventMatches({ filter: { event_category: ['plain'] } }, { event_category: 'plain' }))
  t.ok(eventMatches({ state: [] }, event))
  t.ok(patrolMatches(null, { state: 'done' }))
  t.ok(patrolMatches({ status: ['done'] }, { state: 'done' }))
  t.notOk(patrolMatches({ status: ['active'] }, { state: 'done' }))
})

t.test('firstError names the failing field', async (t) => {
  t.match(firstError(checks.eventFilter, { text: 1 }), /^text: /)
  t.type(firstError(checks.bbox, 'x'), 'string')
})

t.test('traces: unique increasing ids, acks by trace_id, expiry', async (t) => {
  let now = 1000
  const { s, socket } = session({ now: () => now })
  for (let i = 0; i < 3; i++) s.deliver('new_event', { n: i })
  const sent = socket.emitted.map((e) => e.args[0] as { trace_id: string, mid: number })
  t.same(sent.map((p) => p.mid), [1, 2, 3])
  const ids = sent.map((p) => p.trace_id)
  t.equal(new Set(ids).size, 3)
  t.ok(ids.every((id) => /^trace-sid-1-\d+\.\d{6}$/.test(id)))
  t.ok(ids[0] < ids[1] && ids[1] < ids[2])
  t.equal(s.pendingTraces, 3)
  const ack = socket.emitted[0].args[1] as (id?: unknown) => void
  ack(ids[0])
  ack(ids[1])
  ack()
  t.equal(s.pendingTraces, 1)
  now = 1199
  t.notOk(s.hasExpiredTrace(200))
  now = 1200
  t.ok(s.hasExpiredTrace(200))
  ack(ids[2])
  t.notOk(s.hasExpiredTrace(200))
  s.deliver('service_status', { services: [] })
  t.equal(s.pendingTraces, 0)
  t.equal(socket.emitted.at(-1)?.args.length, 1, 'service_status has no ack callback')
})

t.test('§5.5 timers: each is dropped once spent, and all when the socket closes', async (t) => {
  t.test('connect_ack fired, then authorized: none kept', async (t) => {
    const { s, socket } = session({ authWindow: 60_000, connectAckDelay: 1 })
    const acked = new Promise<void>((resolve, reject) => {
      const bound = setTimeout(() => reject(new Error('no connect_ack within 2 s')), 2000)
      const emit = socket.emit.bind(socket)
      socket.emit = (event, ...args) => {
        emit(event, ...args)
        if (event === 'connect_ack') { clearTimeout(bound); resolve() }
      }
    })
    s.start()
    t.equal(s.pendingTimers, 2, 'connect_ack and the auth window')
    await acked
    t.equal(s.pendingTimers, 1, 'the fired connect_ack is not kept')
    await s.handlers.authorization({ type: 'authorization', id: 1, authorization: 'Bearer bad' })
    t.equal(s.pendingTimers, 1, 'a refused authorization leaves the window running')
    await s.handlers.authorization({ type: 'authorization', id: 2, authorization: 'Bearer good' })
    t.equal(socket.last('resp_authorization').status.code, 200)
    t.equal(s.pendingTimers, 0, 'the window ends with the authorization')
  })

  t.test('authorized before connect_ack, then closed: none kept', async (t) => {
    const { s, socket } = session({ authWindow: 60_000, connectAckDelay: 60_000 })
    s.start()
    await s.handlers.authorization({ type: 'authorization', id: 1, authorization: 'Bearer good' })
    t.equal(s.pendingTimers, 1, 'connect_ack still due')
    s.socketClosed()
    t.equal(s.pendingTimers, 0)
    t.notOk(socket.emitted.some((e) => e.event === 'connect_ack'), 'connect_ack was not sent before its delay')
  })
})

t.test('authorization edge cases', async (t) => {
  t.test('verification throwing: 401 Authentication error, then disconnect', async (t) => {
    const { s, socket } = session({ verifyAccess: async () => { throw new Error('store down') } })
    await s.handlers.authorization({ type: 'authorization', id: 1, authorization: 'Bearer x' })
    t.same(socket.last('resp_authorization').status, { code: 401, message: 'Authentication error' })
    t.equal(socket.disconnects, 1)
    t.ok(s.closed)
    s.close('again')
    t.equal(socket.disconnects, 1, 'close is idempotent')
  })

  t.test('a failed re-authorization keeps the earlier identity', async (t) => {
    let authenticated = 0
    const listened: string[] = []
    const { s, socket } = session({ onAuthenticated: () => { authenticated++ }, listen: async (_s, username) => { listened.push(username) } })
    await s.handlers.authorization({ type: 'authorization', id: 1, authorization: 'Bearer good' })
    t.same(s.user, { username: 'alice', admin: false })
    t.same(listened, ['alice'], 'listening before the 200')
    await s.handlers.authorization({ type: 'authorization', id: 2, authorization: 'Bearer bad' })
    t.equal(socket.last('resp_authorization').status.code, 401)
    t.same(s.user, { username: 'alice', admin: false })
    await s.handlers.authorization({ type: 'authorization', id: 3, authorization: 'bearer good' })
    t.equal(socket.last('resp_authorization').status.code, 200)
    t.equal(authenticated, 1, 'indexed once')
    t.same(listened, ['alice'], 'the same user listens once')
  })

  t.test('authorized as another user: listens and is indexed again, not a user until listening', async (t) => {
    const listened: string[] = []
    let release: () => void = () => {}
    const { s, socket } = session({
      verifyAccess: async (token) => ({ ok: true, claims: { username: token, admin: false, jti: token, expiresAt: Date.now() + 1000, issuedAt: Date.now() } }),
      listen: (_s, username) => {
        listened.push(username)
        return new Promise((resolve) => { release = resolve })
      },
      onAuthenticated: (s) => listened.push(`indexed ${s.user!.username}`),
    })
    const first = s.handlers.authorization({ type: 'authorization', id: 1, authorization: 'Bearer alice' })
    await new Promise((resolve) => setImmediate(resolve))
    t.equal(s.user, null, 'no user while its topics are joined')
    t.equal(socket.last('resp_authorization'), undefined, 'and no 200 yet')
    release()
    await first
    const second = s.handlers.authorization({ type: 'authorization', id: 2, authorization: 'Bearer bob' })
    await new Promise((resolve) => setImmediate(resolve))
    t.equal(s.user?.username, 'alice', 'still alice while joining bob\'s topics')
    release()
    await second
    t.equal(s.user?.username, 'bob')
    t.same(listened, ['alice', 'indexed alice', 'bob', 'indexed bob'])
    t.same(socket.emitted.map((e) => (e.args[0] as { status: { code: number } }).status.code), [200, 200])
  })

  t.test('authorizations of one socket are handled one after the other', async (t) => {
    const listened: string[] = []
    const releases: Array<() => void> = []
    const { s, socket } = session({
      verifyAccess: async (token) => ({ ok: true, claims: { username: token, admin: false, jti: token, expiresAt: Date.now() + 1000, issuedAt: Date.now() } }),
      listen: (_s, username) => {
        listened.push(username)
        return new Promise((resolve) => releases.push(resolve))
      },
    })
    const first = s.handlers.authorization({ type: 'authorization', id: 1, authorization: 'Bearer alice' })
    const second = s.handlers.authorization({ type: 'authorization', id: 2, authorization: 'Bearer bob' })
    await new Promise((resolve) => setImmediate(resolve))
    t.same(listened, ['alice'], 'bob waits for alice')
    releases[0]()
    await first
    await new Promise((resolve) => setImmediate(resolve))
    t.same(listened, ['alice', 'bob'])
    releases[1]()
    await second
    t.equal(s.user?.username, 'bob', 'the last one asked wins')
    t.same(socket.emitted.map((e) => (e.args[0] as { resp_id: number }).resp_id), [1, 2], 'answered in order')

    const late = s.handlers.authorization({ type: 'authorization', id: 3, authorization: 'Bearer carol' })
    s.close('bye')
    await late
    t.same(listened, ['alice', 'bob'], 'one queued behind a close is not checked')
  })

  t.test('listening failing: 401 Authentication error, then disconnect', async (t) => {
    let authenticated = 0
    const { s, socket } = session({ listen: async () => { throw new Error('broker down') }, onAuthenticated: () => { authenticated++ } })
    await s.handlers.authorization({ type: 'authorization', id: 4, authorization: 'Bearer good' })
    t.same(socket.last('resp_authorization'), { type: 'resp_authorization', resp_id: 4, status: { code: 401, message: 'Authentication error' } })
    t.equal(socket.disconnects, 1)
    t.equal(s.user, null)
    t.equal(authenticated, 0)
  })

  t.test('a socket closed while listening gets no reply', async (t) => {
    let authenticated = 0
    let release: () => void = () => {}
    const { s, socket } = session({ listen: () => new Promise((resolve) => { release = resolve }), onAuthenticated: () => { authenticated++ } })
    const pending = s.handlers.authorization({ type: 'authorization', id: 1, authorization: 'Bearer good' })
    await new Promise((resolve) => setImmediate(resolve))
    s.socketClosed()
    release()
    await pending
    t.equal(socket.emitted.length, 0)
    t.equal(authenticated, 0)
  })

  t.test('a reply to a socket closed while verifying is not sent', async (t) => {
    let release: () => void = () => {}
    const { s, socket } = session({
      verifyAccess: () => new Promise((resolve) => { release = () => resolve({ ok: false, reason: 'invalid' }) }),
    })
    const pending = s.handlers.authorization({ type: 'authorization', id: 1, authorization: 'Bearer x' })
    s.socketClosed()
    release()
    await pending
    t.equal(socket.emitted.length, 0)
  })
})

t.test('registry and payloads', async (t) => {
  const registry = new DasSessions()
  const a = session({}, new FakeSocket('a')).s
  const b = session({}, new FakeSocket('b')).s
  registry.add(a)
  registry.add(b)
  t.equal(registry.size, 2)
  registry.remove(a)
  registry.remove(b)
  t.equal(registry.size, 0)
  t.same(payloadFor(a, { kind: 'subject', subject: { id: 1 }, track: [1], trackUsers: [] }), { type: 'subject_update', data: { id: 1 } })
  t.same(payloadFor(a, { kind: 'emit', type: 'delete_message', data: { id: 2 } }), { type: 'delete_message', id: 2 })
  t.notOk(deliverTo(a, { kind: 'emit', type: 'new_announcement', data: {} }), 'an unauthenticated socket gets nothing')
  a.user = { username: 'alice', admin: false }
  t.ok(deliverTo(a, { kind: 'emit', type: 'new_announcement', data: {} }))
  t.notOk(deliverTo(a, { kind: 'emit', type: 'new_announcement', data: {}, sid: 'b' }), 'another socket\'s')
  t.notOk(deliverTo(a, { kind: 'emit', type: 'new_announcement', data: {}, sid: 'a', username: 'bob' }), 'sid and username intersect')
  a.socketClosed()
  t.notOk(deliverTo(a, { kind: 'emit', type: 'new_announcement', data: {} }), 'a closed socket gets nothing')
})

t.test('deliveries over the hub: each targeted socket once, on the narrowest topic', async (t) => {
  const hub = new Hub(new MemoryBroker())
  const topics = new ConnectionTopics(hub, () => {})
  const invalid: unknown[] = []
  const context: FeedContext = { topics, onInvalid: (data) => invalid.push(data), onError: (err) => { throw err } }
  const open = (sid: string) => {
    const { s, socket } = session({
      verifyAccess: async (token) => ({ ok: true, claims: { username: token, admin: false, jti: token, expiresAt: Date.now() + 1000, issuedAt: Date.now() } }),
      listen: (_s, username): Promise<void> => feed.listen(username),
    }, new FakeSocket(sid))
    const connection = new DasConnection(s, '127.0.0.1')
    const feed = new DeliveryFeed(s, connection, context)
    const login = (username: string) => s.handlers.authorization({ type: 'authorization', id: 1, authorization: `Bearer ${username}` })
    const got = () => socket.emitted.filter((e) => e.event === 'radio_message').map((e) => (e.args[0] as { n: number }).n)
    return { s, connection, login, got }
  }
  const [alice1, alice2, bob, anonymous] = [open('a1'), open('a2'), open('b1'), open('x')]
  await Promise.all([alice1.login('alice'), alice2.login('alice'), bob.login('bob')])
  t.equal(hub.subscriberCount(ALL_TOPIC), 3, 'every authenticated socket, not the anonymous one')
  t.equal(hub.subscriberCount(userTopic('alice')), 2)
  t.equal(hub.subscriberCount(socketTopic('b1')), 1)

  let n = 0
  const send = (target: { sid?: string, username?: string }) => publishDelivery(hub, { kind: 'emit', type: 'radio_message', data: { n: ++n }, ...target })
  await send({}) // 1
  await send({ username: 'alice' }) // 2
  await send({ sid: 'b1' }) // 3
  await send({ sid: 'b1', username: 'alice' }) // 4: bob's socket, not alice's
  await send({ sid: 'gone' }) // 5
  t.same([alice1.got(), alice2.got(), bob.got(), anonymous.got()], [[1, 2], [1, 2], [1, 3], []])

  await hub.publish(ALL_TOPIC, { kind: 'emit', type: 'no_such_type', data: {} })
  t.same(invalid, [{ kind: 'emit', type: 'no_such_type', data: {} }], 'a malformed delivery is reported once, not per socket')

  await alice2.login('bob')
  t.equal(hub.subscriberCount(userTopic('alice')), 1, 'authenticated as another user: the old user\'s topic left')
  t.equal(hub.subscriberCount(userTopic('bob')), 2)
  await send({ username: 'bob' }) // 6
  await send({ username: 'alice' }) // 7
  t.same([alice1.got(), alice2.got(), bob.got()], [[1, 2, 7], [1, 2, 6], [1, 3, 6]])

  topics.leaveAll(alice1.connection)
  t.equal(hub.subscriberCount(userTopic('alice')), 0, 'a connection that ends leaves its topics')
  t.equal(hub.subscriberCount(ALL_TOPIC), 2)
  t.equal(topicOf({ kind: 'subject', subject: {} }), ALL_TOPIC)
})

t.test('DasConnection reflects its session', async (t) => {
  const { s, socket } = session()
  const connection = new DasConnection(s, '127.0.0.1')
  t.equal(connection.id, 'sid-1')
  t.equal(connection.protocol, 'das')
  t.equal(connection.principal, null, 'set by the core registry once the socket authenticates')
  connection.send('text')
  connection.send(Buffer.from('buffer'))
  t.same(socket.emitted.map((e) => e.args[0]), ['text', 'buffer'])
  // Socket.IO cannot pause reading: the core's queue may ask, and nothing changes.
  connection.pauseReading()
  connection.resumeReading()
  connection.send('after a pause')
  t.equal(socket.emitted.length, 3, 'still writing after pause/resume')
  t.ok(connection.open)
  connection.close(1001, 'bye')
  t.notOk(connection.open)
  t.same([socket.transportCloses, socket.disconnects], [1, 0], 'going away: the transport closes, no DISCONNECT (the client comes back)')
  connection.send('late')
  t.equal(socket.emitted.length, 3)
  connection.close(1001, 'again')
  t.equal(socket.transportCloses, 1, 'once')
})

t.test('DasConnection: codes that ask the client to come back close the transport, others disconnect', async (t) => {
  for (const [code, transportCloses, disconnects] of [[1001, 1, 0], [1012, 1, 0], [1013, 1, 0], [1000, 0, 1], [1008, 0, 1], [4000, 0, 1]]) {
    const { s, socket } = session()
    new DasConnection(s, '127.0.0.1').close(code)
    t.same([socket.transportCloses, socket.disconnects], [transportCloses, disconnects], `close ${code}`)
  }
})

t.test('routeUpgrades routes by prefix and restores the previous listeners', async (t) => {
  const server = createServer()
  const seen: string[] = []
  server.on('upgrade', (request) => seen.push(`previous ${request.url}`))
  const added = listenersAddedBy(server, 'upgrade', () => server.on('upgrade', () => seen.push('added')))
  t.equal(added.length, 1)
  server.removeListener('upgrade', added[0])
  const restore = routeUpgrades(server, '/socket.io/', (request) => seen.push(`io ${request.url}`))
  const emit = (url: string) => server.emit('upgrade', { url }, null, Buffer.alloc(0))
  emit('/socket.io/?EIO=4')
  emit('/other')
  t.same(seen, ['io /socket.io/?EIO=4', 'previous /other'])
  restore()
  t.equal(server.listenerCount('upgrade'), 1)
  emit('/socket.io/')
  t.same(seen.at(-1), 'previous /socket.io/')
})
