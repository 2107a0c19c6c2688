import t from 'tap'
import { HubMessage } from '../../../src/core/hub/message.js'
import { encodeEventPayload } from '../../../plugins/telegraphy/event-wire.js'
import { subscriptionField } from '../../../plugins/telegraphy/stored-subscriptions.js'
import { Subscriptions } from '../../../plugins/telegraphy/subscriptions.js'

// One session's subscriptions (issue 21): the only one is kept without a Map, the Map comes with
// the second and goes once one is left. Nothing of that may show: order, matching, what is stored.

const meta = { event_type: 'custom', verbose_name: 'x', timestamp: '2026-12-03T00:00:00.000000Z' }
const event = (name: string, data: unknown, topic = `telegraphy:${name}`) => new HubMessage(topic, encodeEventPayload('n:1', name, meta, data))
const names = (subs: Subscriptions) => subs.views().map((v) => `${v.event_name}${v.filters === null ? '' : JSON.stringify(v.filters)}`)

t.test('a single subscription matches its own topic and filters only', async (t) => {
  const subs = new Subscriptions()
  t.match(subs.add({ event_name: 'a.b', filters: { n: 1 } }), { topic: 'telegraphy:a.b', first: true, field: subscriptionField('a.b', { n: 1 }) })
  t.equal(subs.size, 1)
  t.ok(subs.matches(event('a.b', { n: 1, m: 2 })))
  t.notOk(subs.matches(event('a.b', { n: 2 })), 'other filter value')
  t.notOk(subs.matches(event('a.bc', { n: 1 })), 'a longer name')
  t.notOk(subs.matches(event('x.b', { n: 1 })), 'a name of the same length')
  t.notOk(subs.matches(event('a.b', { n: 1 }, 'telegraphx:a.b')), 'another protocol\'s topic of the same length')
  t.same(subs.topics(), ['telegraphy:a.b'])
  t.same(subs.eventNames(), ['a.b'])
})

t.test('the order of first subscription survives the move to a Map and back', async (t) => {
  const subs = new Subscriptions()
  subs.add({ event_name: 'a' })
  t.match(subs.add({ event_name: 'a', filters: { n: 1 } }), { first: false }, 'same topic, another subscription')
  t.match(subs.add({ event_name: 'b' }), { first: true })
  t.match(subs.add({ event_name: 'a', permanent: true }), { first: false }, 'again: an update')
  t.equal(subs.size, 3)
  t.same(names(subs), ['a', 'a{"n":1}', 'b'])
  t.same(subs.views()[0], { event_name: 'a', filters: null, permanent: true, lazy: false })
  t.ok(subs.matches(event('b', {})))
  t.match(subs.remove('a', null), { topic: 'telegraphy:a', last: false })
  t.match(subs.remove('a', { n: 1 }), { topic: 'telegraphy:a', field: subscriptionField('a', { n: 1 }), last: true })
  t.equal(subs.remove('a', null), null, 'gone already')
  t.same(names(subs), ['b'])
  t.notOk(subs.matches(event('a', {})))
  subs.add({ event_name: 'c' })
  t.same(names(subs), ['b', 'c'], 'a new one comes after the one left')
  t.same(subs.topics(), ['telegraphy:b', 'telegraphy:c'])
})

t.test('removeEvent drops every filter of a name, in either form', async (t) => {
  const subs = new Subscriptions()
  subs.add({ event_name: 'a', filters: { n: 1 } })
  t.same(subs.removeEvent('a'), { topic: 'telegraphy:a', fields: [subscriptionField('a', { n: 1 })] })
  t.equal(subs.size, 0)
  t.equal(subs.removeEvent('a'), null)
  subs.add({ event_name: 'a', filters: { n: 1 } })
  subs.add({ event_name: 'a', filters: { n: 2 } })
  subs.add({ event_name: 'b' })
  t.same(subs.removeEvent('a')?.fields, [subscriptionField('a', { n: 1 }), subscriptionField('a', { n: 2 })])
  t.same(subs.eventNames(), ['b'])
  t.ok(subs.has('b', null))
  t.ok(subs.has('b', {}), '{} is no filter')
  t.notOk(subs.has('a', { n: 1 }))
})

t.test('what is stored restores the same subscriptions in the same order', async (t) => {
  const subs = new Subscriptions()
  const added = [
    subs.add({ event_name: 'z', filters: { k: [1, { x: 2 }] }, lazy: true }),
    subs.add({ event_name: 'y' }),
    subs.add({ event_name: 'z' }),
  ]
  subs.remove('y', undefined)
  const stored = subs.stored()
  t.same(stored, [added[0], added[2]].map((a) => [a.field, a.value]), 'as each SUBSCRIBE wrote it')
  // The hash keeps no order: restore sorts by the order each was made in.
  const restored = Subscriptions.restore(stored.reverse().map(([, value]) => JSON.parse(value)).sort((a, b) => a.order - b.order))
  t.same(restored.views(), subs.views())
  t.match(restored.add({ event_name: 'w' }).value, /^\{"order":3,/, 'new ones come after the restored ones')
})
