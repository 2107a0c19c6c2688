import t from 'tap'
import { eventually, type WsClient } from '../../helpers/ws-client.js'
import { initialized, startReally } from './helpers.js'
import { QUIET_LOCAL } from '../../helpers/quiet.js'

let tag = 1000
const ask = (client: WsClient, frame: Record<string, unknown>) => client.request({ tag: ++tag, ...frame })
const set = (key: string, value: unknown) => ({ op: 'set', key, value })
const update = (client: WsClient, r: string, ...ops: unknown[]) => ask(client, { cmd: 'update', r, rev: 1, body: { ops } })

t.test('subscribe replies, validation and failed pushes (§4.5, §4.10 items 10, 15)', async (t) => {
  const app = await startReally(t)
  const c = await initialized(t, app)
  const { r } = await ask(c, { cmd: 'create', r: '/users/', body: { name: 'A' } })
  const deleted = (await ask(c, { cmd: 'create', r: '/users/', body: { name: 'D' } })).r
  await ask(c, { cmd: 'delete', r: deleted })
  t.same(await ask(c, { cmd: 'subscribe', body: { subscriptions: [] } }), { tag, body: { subscriptions: [] } })
  t.same(await ask(c, { cmd: 'subscribe', body: { subscriptions: [{ r: r.slice(0, -1), rev: 1 }, { r: '/users', rev: 0 }] } }),
    { tag, body: { subscriptions: [r, '/users/*/'] } }, 'normalised Rs')
  t.match(await ask(c, { cmd: 'subscribe', body: { subscriptions: [{ r }] } }),
    { tag, error: { code: 409, message: 'validation.failed', errors: { 'obj.body.subscriptions[0].rev': [{ msg: 'error.path.missing' }] } } })
  t.match(await ask(c, { cmd: 'subscribe', body: { subscriptions: [{ r: 'users', rev: 1 }] } }), { tag, error: { code: 409, message: 'validation.failed' } })
  t.match(await ask(c, { cmd: 'subscribe', body: {} }), { tag, error: { code: 409, message: 'validation.failed' } })
  t.match(await ask(c, { cmd: 'subscribe' }), { tag, error: { code: 409, message: 'validation.failed' } })

  const reply = await ask(c, {
    cmd: 'subscribe',
    body: { subscriptions: [{ r: '/cars/1', rev: 0 }, { r: '/users/987654321', rev: 0 }, { r: deleted, rev: 1 }, { r, rev: 1, fields: ['nope'] }] },
  })
  t.same(reply, { tag, body: { subscriptions: [] } })
  t.same(await c.json(), { r: '/cars/1/', evt: 'failed', error: { code: 404, message: 'model.unknown' } })
  t.same(await c.json(), { r: '/users/987654321/', evt: 'failed', error: { code: 404, message: 'object.missing' } })
  t.same(await c.json(), { r: deleted, evt: 'failed', error: { code: 410, message: 'object.gone' } })
  t.match(await c.json(), { r, evt: 'failed', error: { code: 409, message: 'validation.failed' } })
  await c.expectNothing(QUIET_LOCAL)
})

t.test('updated pushes carry only the subscribed fields; deleted pushes (§4.5)', async (t) => {
  const app = await startReally(t)
  const writer = await initialized(t, app)
  const named = await initialized(t, app)
  const everything = await initialized(t, app)
  const { r } = await ask(writer, { cmd: 'create', r: '/users/', body: { name: 'A', age: 1 } })
  t.same((await ask(named, { cmd: 'subscribe', body: { subscriptions: [{ r, rev: 1, fields: ['name'] }] } })).body.subscriptions, [r])
  t.same((await ask(everything, { cmd: 'subscribe', body: { subscriptions: [{ r, rev: 1 }] } })).body.subscriptions, [r])

  t.same(await update(writer, r, { op: 'addNumber', key: 'age', value: 2 }), { tag, r, rev: 2 })
  const writerInfo = { authType: 'anonymous', data: { nick: 'anon' } }
  const agePush = await everything.json()
  t.match(agePush, { r, rev: 2, evt: 'updated', body: { age: { op: 'addNumber', opValue: 2, value: 3 } }, meta: { opBy: writerInfo } })
  t.notOk('tag' in agePush, 'pushes carry no tag')
  await named.expectNothing(QUIET_LOCAL)

  t.same(await update(writer, r, set('name', 'B'), set('age', 9)), { tag, r, rev: 3 })
  t.same(await named.json(), { r, rev: 3, evt: 'updated', body: { name: { op: 'set', opValue: 'B', value: 'B' } }, meta: { opBy: agePush.meta.opBy } })
  t.same((await everything.json()).body, { name: { op: 'set', opValue: 'B', value: 'B' }, age: { op: 'set', opValue: 9, value: 9 } })

  t.same(await ask(writer, { cmd: 'delete', r }), { tag, r })
  for (const client of [named, everything]) t.same(await client.json(), { r, rev: 4, evt: 'deleted', meta: { opBy: agePush.meta.opBy } })
  await eventually(() => app.app.services.hub.subscriberCount(`really:${r}`) === 0, 2000, 'subscriptions of a deleted object end')
})

t.test('collection subscriptions get created pushes (§4.5)', async (t) => {
  const app = await startReally(t)
  const writer = await initialized(t, app)
  const watcher = await initialized(t, app)
  const { r: owner } = await ask(writer, { cmd: 'create', r: '/users/', body: { name: 'Owner' } })
  await ask(watcher, { cmd: 'subscribe', body: { subscriptions: [{ r: '/users/', rev: 0, fields: ['name'] }, { r: `${owner}posts`, rev: 0 }] } })
  const user = await ask(writer, { cmd: 'create', r: '/users/', body: { name: 'New', age: 3 } })
  t.match(await watcher.json(), { r: '/users/*/', evt: 'created', body: { name: 'New', _r: user.r, _rev: 1 }, meta: { opBy: { authType: 'anonymous' } } })
  const post = await ask(writer, { cmd: 'create', r: `${owner}posts/`, body: { title: 'Hi' } })
  t.same((await watcher.json()).body, { title: 'Hi', _r: post.r, _rev: 1 })
  await ask(writer, { cmd: 'create', r: '/users/', body: { name: 'Other' } }).then(() => watcher.json())
  await update(writer, user.r, set('name', 'x'))
  await watcher.expectNothing(QUIET_LOCAL)
})

t.test('unsubscribe (§4.10 item 11) and cleanup on close', async (t) => {
  const app = await startReally(t)
  const writer = await initialized(t, app)
  const watcher = await initialized(t, app)
  const { r } = await ask(writer, { cmd: 'create', r: '/users/', body: { name: 'A' } })
  await ask(watcher, { cmd: 'subscribe', body: { subscriptions: [{ r, rev: 1 }, { r: '/users/', rev: 0 }] } })
  t.same(await ask(watcher, { cmd: 'unsubscribe', body: { subscriptions: [r.slice(0, -1), '/users'] } }), { tag, body: { subscriptions: [r, '/users/*/'] } })
  await update(writer, r, set('name', 'B'))
  await ask(writer, { cmd: 'create', r: '/users/', body: { name: 'C' } })
  await watcher.expectNothing(QUIET_LOCAL)
  t.match(await ask(watcher, { cmd: 'unsubscribe', body: { subscriptions: ['not an R'] } }), { tag, error: { code: 409, message: 'validation.failed' } })
  t.match(await ask(watcher, { cmd: 'unsubscribe', body: { subscriptions: 'x' } }), { tag, error: { code: 409, message: 'validation.failed' } })

  await ask(watcher, { cmd: 'subscribe', body: { subscriptions: [{ r, rev: 2 }] } })
  t.equal(app.app.services.hub.subscriberCount(`really:${r}`), 1)
  watcher.close()
  await eventually(() => app.app.services.hub.subscriberCount(`really:${r}`) === 0, 2000, 'hub subscription dropped on close')
})

t.test('a subscription with an old rev gets what it missed, or a snapshot (§4.5)', async (t) => {
  const app = await startReally(t, { changeLogSize: 3 })
  const writer = await initialized(t, app)
  const { r } = await ask(writer, { cmd: 'create', r: '/users/', body: { name: 'A', age: 0 } })
  for (let i = 1; i <= 4; i++) await update(writer, r, set('age', i), ...(i === 3 ? [set('name', 'C')] : []))
  // The object is at rev 5; the log keeps revs 3, 4, 5.

  const replay = await initialized(t, app)
  t.same((await ask(replay, { cmd: 'subscribe', body: { subscriptions: [{ r, rev: 2, fields: ['name'] }] } })).body.subscriptions, [r])
  t.match(await replay.json(), { r, rev: 4, evt: 'updated', body: { name: { op: 'set', opValue: 'C', value: 'C' } }, meta: { opBy: { authType: 'anonymous' } } })
  await replay.expectNothing(QUIET_LOCAL)

  const full = await initialized(t, app)
  await ask(full, { cmd: 'subscribe', body: { subscriptions: [{ r, rev: 3 }] } })
  t.same((await full.json()).rev, 4)
  t.same(await full.json().then((p) => [p.rev, p.body.age.value]), [5, 4])

  const snapshot = await initialized(t, app)
  await ask(snapshot, { cmd: 'subscribe', body: { subscriptions: [{ r, rev: 1, fields: ['age'] }] } })
  t.same(await snapshot.json(), { r, rev: 5, evt: 'snapshot', body: { age: 4, _r: r, _rev: 5 } })

  const current = await initialized(t, app)
  await ask(current, { cmd: 'subscribe', body: { subscriptions: [{ r, rev: 5 }] } })
  const ahead = await initialized(t, app)
  await ask(ahead, { cmd: 'subscribe', body: { subscriptions: [{ r, rev: 50 }] } })
  await current.expectNothing(QUIET_LOCAL)

  // Live changes continue after the catch-up, once each.
  await update(writer, r, set('age', 6))
  for (const client of [full, snapshot, current, ahead]) {
    const push = await client.json()
    t.same([push.evt, push.rev], ['updated', 6])
  }
  await replay.expectNothing(QUIET_LOCAL)
  await update(writer, r, set('name', 'N'))
  t.same([(await replay.json()).rev], [7], 'the name-only subscriber is live too')

  const gone = await initialized(t, app)
  await ask(writer, { cmd: 'delete', r })
  t.match(await ask(gone, { cmd: 'subscribe', body: { subscriptions: [{ r, rev: 1 }] } }), { body: { subscriptions: [] } })
  t.match(await gone.json(), { evt: 'failed', error: { code: 410 } })
})

t.test('read with subscribe: true subscribes to the collection and the objects read', async (t) => {
  const app = await startReally(t)
  const writer = await initialized(t, app)
  const reader = await initialized(t, app)
  const a = await ask(writer, { cmd: 'create', r: '/users/', body: { name: 'A', age: 1 } })
  const read = await ask(reader, { cmd: 'read', r: '/users/', cmdOpts: { subscribe: true, fields: ['age'] } })
  t.same(read.meta, { subscription: '/users/*/' })
  t.equal(read.body.items.length, 1)
  await update(writer, a.r, set('age', 2), set('name', 'B'))
  t.match(await reader.json(), { r: a.r, rev: 2, evt: 'updated', body: { age: { op: 'set', opValue: 2, value: 2 } }, meta: { opBy: { authType: 'anonymous' } } })
  const b = await ask(writer, { cmd: 'create', r: '/users/', body: { name: 'C', age: 7 } })
  t.same((await reader.json()).body, { age: 7, _r: b.r, _rev: 1 }, 'created, with the fields read')
  t.same(await ask(reader, { cmd: 'read', r: '/users/', cmdOpts: { subscribe: false, limit: 1 } }).then((x) => x.meta), undefined, 'no meta without subscribe')
})

t.test('changeLogSize 0 keeps no log: resuming gets a snapshot', async (t) => {
  const app = await startReally(t, { changeLogSize: 0 })
  const writer = await initialized(t, app)
  const { r } = await ask(writer, { cmd: 'create', r: '/users/', body: { name: 'A' } })
  await update(writer, r, set('name', 'B'))
  const late = await initialized(t, app)
  await ask(late, { cmd: 'subscribe', body: { subscriptions: [{ r, rev: 1 }] } })
  t.same(await late.json(), { r, rev: 2, evt: 'snapshot', body: { name: 'B', age: 0, _r: r, _rev: 2 } })
})

t.test('a command exceeding requestTimeout answers 500 and the connection goes on', async (t) => {
  const app = await startReally(t, { requestTimeout: 200 })
  const c = await initialized(t, app)
  const { r } = await ask(c, { cmd: 'create', r: '/users/', body: { name: 'A' } })
  const { hub } = app.app.services
  const subscribe = hub.subscribe
  hub.subscribe = () => new Promise(() => {})
  t.teardown(() => { hub.subscribe = subscribe })
  t.same(await ask(c, { cmd: 'subscribe', body: { subscriptions: [{ r, rev: 1 }] } }), { tag, error: { code: 500, message: 'internal.server.error' } })
  t.same(await ask(c, { cmd: 'ping' }), { tag, evt: 'pinged' })
})
