import t from 'tap'
import { request, sharedClusterOverrides, TEST_API_KEY } from '../../helpers/app.js'
import { ALICE } from '../../helpers/config.js'
import type { WsClient } from '../../helpers/ws-client.js'
import { connect, initialized, startReally } from './helpers.js'

let tag = 5000
const ask = (client: WsClient, frame: Record<string, unknown>) => client.request({ tag: ++tag, ...frame })

t.test('two nodes sharing Redis and PostgreSQL', async (t) => {
  const overrides = await sharedClusterOverrides(t)
  const node1 = await startReally(t, {}, overrides)
  const node2 = await startReally(t, {}, overrides)
  const writer = await initialized(t, node1)
  const watcher = await initialized(t, node2)

  t.test('a change made on one node reaches subscribers on the other', async (t) => {
    const { r } = await ask(writer, { cmd: 'create', r: '/users/', body: { name: 'A' } })
    t.same((await ask(watcher, { cmd: 'get', r })).body.name, 'A', 'same database')
    await ask(watcher, { cmd: 'subscribe', body: { subscriptions: [{ r, rev: 1, fields: ['name'] }, { r: '/users/', rev: 0 }] } })
    t.same(await ask(writer, { cmd: 'update', r, rev: 1, body: { ops: [{ op: 'set', key: 'name', value: 'B' }, { op: 'set', key: 'age', value: 4 }] } }), { tag, r, rev: 2 })
    t.match(await watcher.json(), { r, rev: 2, evt: 'updated', body: { name: { op: 'set', opValue: 'B' } } })
    const created = await ask(writer, { cmd: 'create', r: '/users/', body: { name: 'C' } })
    t.match(await watcher.json(), { r: '/users/*/', evt: 'created', body: { _r: created.r, name: 'C' } })
    await ask(writer, { cmd: 'delete', r })
    t.match(await watcher.json(), { r, rev: 3, evt: 'deleted' })
  })

  t.test('catch-up reads the shared change log', async (t) => {
    const { r } = await ask(writer, { cmd: 'create', r: '/users/', body: { name: 'L' } })
    await ask(writer, { cmd: 'update', r, rev: 1, body: { ops: [{ op: 'addNumber', key: 'age', value: 5 }] } })
    const late = await initialized(t, node2)
    await ask(late, { cmd: 'subscribe', body: { subscriptions: [{ r, rev: 1 }] } })
    t.match(await late.json(), { r, rev: 2, evt: 'updated', body: { age: { op: 'addNumber', opValue: 5, value: 5 } } })
  })

  t.test('ids never collide between nodes', async (t) => {
    const other = await initialized(t, node2)
    const replies = await Promise.all([writer, other].flatMap((c) => [1, 2, 3, 4, 5].map((i) => c.request({ tag: i, cmd: 'create', r: '/users/', body: { name: `n${i}` } }))))
    const rs = replies.map((x) => x.r)
    t.equal(new Set(rs).size, 10)
  })

  t.test('removing a user on one node expires its connections on the other', async (t) => {
    const login = await request(node1.url, 'POST', '/auth/password/login/', { body: ALICE })
    const alice = await connect(t, node2)
    t.equal((await alice.request({ tag: 1, cmd: 'initialize', accessToken: login.body.accessToken })).evt, 'initialized')
    t.ok((await request(node1.url, 'DELETE', `/api/admin/users/${ALICE.username}`, { apiKey: TEST_API_KEY })).status < 300)
    t.same(await alice.json(), { evt: 'token-expired' })
    await alice.closed()
  })
})
