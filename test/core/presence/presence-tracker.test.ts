import t from 'tap'
import { ConnectionRegistry } from '../../../src/core/connection-registry.js'
import { ConnectionTopics } from '../../../src/core/hub/connection-topics.js'
import { Hub } from '../../../src/core/hub/hub.js'
import { MemoryBroker } from '../../../src/core/hub/memory-broker.js'
import { MemoryPresenceStore } from '../../../src/core/presence/memory-presence-store.js'
import { PresenceTracker } from '../../../src/core/presence/presence-tracker.js'
import { FakeConnection, FakeSession, user } from '../connections/fakes.js'

// The registry's subscription events (issue 20's seam) feeding presence through the tracker.

async function setup (t: { teardown (fn: () => unknown): void }) {
  const errors: unknown[] = []
  const registry = new ConnectionRegistry({ topics: new ConnectionTopics(new Hub(new MemoryBroker()), () => {}), onError: (err) => errors.push(err) })
  const store = new MemoryPresenceStore('n1', { ttl: 10_000, heartbeat: 1000 })
  await store.start()
  t.teardown(() => store.close())
  const tracker = new PresenceTracker(store)
  registry.observe(tracker)
  const members = async (channel: string, protocol = 'test') => (await store.members(protocol, channel)).map((m) => [m.connectionId, m.user])
  return { registry, store, tracker, members, errors }
}

t.test('subscribed, unsubscribed and closed reach presence; users as observers hear them', async (t) => {
  const { registry, store, tracker, members } = await setup(t)
  const alice = new FakeConnection()
  const vhostUser = new FakeConnection()
  const anonymous = new FakeConnection()
  for (const c of [alice, vhostUser, anonymous]) registry.add(c)
  registry.authenticated(alice, user('alice'), new FakeSession())
  registry.identified(vhostUser, 'joe')
  registry.subscribed(alice, 'one')
  registry.subscribed(alice, 'one') // again: one entry
  registry.subscribed(alice, 'two')
  registry.subscribed(alice, 'three')
  registry.subscribed(vhostUser, 'one')
  registry.subscribed(anonymous, 'one')
  t.same((await members('one')).sort(), [[alice.id, 'alice'], [anonymous.id, null], [vhostUser.id, 'joe']].sort())
  t.equal(tracker.userOf(vhostUser), 'joe', 'a vhost user is its name')
  t.same(store.localChannels().get(alice.id), ['test:one', 'test:two', 'test:three'])

  registry.unsubscribed(alice, 'two')
  registry.unsubscribed(alice, 'never')
  registry.unsubscribed(anonymous, 'other') // holds one channel, not this one
  registry.unsubscribed(new FakeConnection(), 'one') // holds none
  t.same(await members('two'), [])
  t.same(store.localChannels().get(alice.id), ['test:one', 'test:three'])
  registry.unsubscribed(alice, 'three')
  t.same(store.localChannels().get(alice.id), ['test:one'], 'back to a single channel')
  registry.subscribed(alice, 'four')
  registry.unsubscribed(alice, 'one')
  registry.unsubscribed(alice, 'four')
  t.equal(store.localChannels().get(alice.id), undefined, 'none left')

  registry.unsubscribed(anonymous, 'one')
  t.same(await members('one'), [[vhostUser.id, 'joe']])
  registry.subscribed(vhostUser, 'two')
  registry.remove(vhostUser)
  t.same(await members('one'), [], 'a close leaves every channel')
  t.same(await members('two'), [])
  t.equal(tracker.userOf(vhostUser), null, 'and its name is forgotten')

  registry.subscribed(anonymous, 'solo')
  registry.remove(anonymous)
  t.same(await members('solo'), [])
})

t.test('a subscription announced after its connection closed is not recorded', async (t) => {
  const { registry, members } = await setup(t)
  const late = new FakeConnection()
  registry.add(late)
  late.close(1000)
  registry.remove(late)
  registry.subscribed(late, 'one')
  t.same(await members('one'), [])
})

t.test('an observer that throws is reported, the others still hear the event', async (t) => {
  const { registry, members, errors } = await setup(t)
  registry.observe({ subscribed () { throw new Error('boom') }, unsubscribed () { throw new Error('bang') } })
  const c = new FakeConnection()
  registry.add(c)
  registry.subscribed(c, 'one')
  t.same(await members('one'), [[c.id, null]])
  registry.unsubscribed(c, 'one')
  t.same(await members('one'), [])
  t.same(errors.map((e) => (e as Error).message), ['boom', 'bang'])
})

t.test('re-authenticating as a core user forgets a protocol\'s own name; entries follow the user', async (t) => {
  const { registry, tracker, members } = await setup(t)
  const c = new FakeConnection()
  const several = new FakeConnection()
  registry.add(c)
  registry.add(several)
  registry.identified(c, 'joe')
  t.equal(tracker.userOf(c), 'joe')
  registry.subscribed(c, 'one')
  registry.subscribed(several, 'one')
  registry.subscribed(several, 'two')
  registry.authenticated(c, user('alice'), new FakeSession())
  registry.authenticated(several, user('bob'), new FakeSession())
  t.equal(tracker.userOf(c), 'alice')
  t.same((await members('one')).sort(), [[c.id, 'alice'], [several.id, 'bob']].sort())
  t.same(await members('two'), [[several.id, 'bob']])
})
