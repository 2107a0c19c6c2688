import type { Test } from 'tap'
import type { PresenceMember, PresenceStore, PresenceTimers } from '../../../src/core/presence/presence-store.js'
import { eventually } from '../../helpers/ws-client.js'

/** Stores of several nodes of one cluster (one space): `node` names each. */
export type NodeMaker = (node: string, timers: PresenceTimers) => PresenceStore

const sorted = (members: PresenceMember[]) => [...members].sort((a, b) => a.connectionId < b.connectionId ? -1 : 1)
const LIVE = { ttl: 3000, heartbeat: 100 }

/** The one contract every PresenceStore meets; `cluster` gives a fresh space of nodes per test. */
export function presenceContract (t: Test, name: string, cluster: (t: Test) => Promise<NodeMaker>): void {
  async function started (t: Test, make: NodeMaker, node: string, timers: PresenceTimers = LIVE): Promise<PresenceStore> {
    const store = make(node, timers)
    t.teardown(() => store.close())
    await store.start()
    return store
  }

  t.test(`${name}: members of every node, users and leaves`, async (t) => {
    const make = await cluster(t)
    const a = await started(t, make, 'a')
    const b = await started(t, make, 'b')
    t.same((await a.nodes()).sort(), ['a', 'b'], 'both nodes are live')
    a.join('webrocket', '/echo/hello', 'c1', 'joe')
    a.join('webrocket', '/echo/hello', 'c1', 'joe') // again: one entry
    b.join('webrocket', '/echo/hello', 'c2', null)
    b.join('webrocket', '/echo/other', 'c3', 'ann')
    a.join('telegraphy', '/echo/hello', 'c4', 'zed') // same name, another protocol: another channel
    await eventually(async () => (await b.members('webrocket', '/echo/hello')).length === 2, 2000, 'both entries visible')
    t.same(sorted(await b.members('webrocket', '/echo/hello')), [
      { connectionId: 'c1', user: 'joe', node: 'a' },
      { connectionId: 'c2', user: null, node: 'b' },
    ])
    t.same(await a.members('webrocket', '/echo/other'), [{ connectionId: 'c3', user: 'ann', node: 'b' }])
    t.same(await a.members('webrocket', '/nobody/here'), [])
    a.leave('webrocket', '/echo/hello', 'c1')
    a.leave('webrocket', '/echo/hello', 'c1') // again: nothing
    a.leave('webrocket', '/never/joined', 'c1')
    await eventually(async () => (await b.members('webrocket', '/echo/hello')).length === 1, 2000, 'the leave visible')
    t.same(await b.members('webrocket', '/echo/hello'), [{ connectionId: 'c2', user: null, node: 'b' }])
    t.same(await b.members('telegraphy', '/echo/hello'), [{ connectionId: 'c4', user: 'zed', node: 'a' }])
  })

  t.test(`${name}: channel names keep colons, slashes and spaces`, async (t) => {
    const make = await cluster(t)
    const a = await started(t, make, 'a')
    a.join('really', '/users/1/posts:x y/', 'c1', 'joe')
    await eventually(async () => (await a.members('really', '/users/1/posts:x y/')).length === 1, 2000, 'entry visible')
    t.same(await a.members('really', '/users/1/posts'), [])
  })

  t.test(`${name}: localChannels lists this node's entries by connection`, async (t) => {
    const make = await cluster(t)
    const a = await started(t, make, 'a')
    const b = await started(t, make, 'b')
    a.join('syscache', 'system', 'c1', 'joe')
    a.join('syscache', 'user', 'c1', 'joe')
    a.join('das', '/das', 'c2', 'ann')
    b.join('das', '/das', 'c3', 'bob')
    t.same(Object.fromEntries(a.localChannels()), { c1: ['syscache:system', 'syscache:user'], c2: ['das:/das'] })
    a.leave('syscache', 'system', 'c1')
    t.same(Object.fromEntries(a.localChannels()), { c1: ['syscache:user'], c2: ['das:/das'] })
  })

  t.test(`${name}: a closed node's entries are gone at once`, async (t) => {
    const make = await cluster(t)
    const a = await started(t, make, 'a')
    const b = await started(t, make, 'b')
    a.join('das', '/das', 'c1', 'joe')
    b.join('das', '/das', 'c2', 'ann')
    await eventually(async () => (await b.members('das', '/das')).length === 2, 2000, 'both entries visible')
    await a.close()
    t.same(await b.members('das', '/das'), [{ connectionId: 'c2', user: 'ann', node: 'b' }])
    t.same(await b.nodes(), ['b'])
  })

  t.test(`${name}: a node that stops its heartbeat loses its entries within ttl, a beating one keeps them`, async (t) => {
    const make = await cluster(t)
    // `silent` beats once at start and then not before the test ends: it stands for a crashed node.
    const silent = await started(t, make, 'silent', { ttl: 400, heartbeat: 60_000 })
    const beating = await started(t, make, 'beating', { ttl: 400, heartbeat: 50 })
    silent.join('telegraphy', 'demo.Item', 'c1', 'joe')
    beating.join('telegraphy', 'demo.Item', 'c2', 'ann')
    await eventually(async () => (await beating.members('telegraphy', 'demo.Item')).length === 2, 2000, 'both entries visible')
    const since = Date.now()
    await eventually(async () => (await beating.members('telegraphy', 'demo.Item')).length === 1, 2000, 'the silent node\'s entry gone')
    t.ok(Date.now() - since <= 400 + 200, 'gone within the ttl (and a margin for the polling)')
    t.same(await beating.members('telegraphy', 'demo.Item'), [{ connectionId: 'c2', user: 'ann', node: 'beating' }])
    t.same(await beating.nodes(), ['beating'])
    // Past several ttls, the beating node's entry is still there.
    await eventually(() => Date.now() - since > 1000, 2000, 'time passes')
    t.same(await beating.members('telegraphy', 'demo.Item'), [{ connectionId: 'c2', user: 'ann', node: 'beating' }])
  })
}
