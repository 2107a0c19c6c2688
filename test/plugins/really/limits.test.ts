import t from 'tap'
import { nestedText } from '../../hostile/frames.js'
import { initialized, startReally } from './helpers.js'

// Issue 14 input limits in Really (README "Limits"): breaches get 409 `validation.failed`
// (spec §4.6) naming the path, the connection stays open, nothing is stored.

const limits = { limits: { maxDepth: 64, subscriptionsPerConnection: 3 }, server: { maxPayload: 2 ** 20 } }

t.test('reserved keys are refused in create and update bodies; nothing is stored', async (t) => {
  const app = await startReally(t, {}, limits)
  const client = await initialized(t, app)
  for (const key of ['__proto__', 'constructor', 'toString', 'prototype', 'hasOwnProperty']) {
    client.sendRaw(`{"tag":2,"cmd":"create","r":"/users/","body":{"name":"x",${JSON.stringify(key)}:"v"}}`)
    t.match(await client.json(), { tag: 2, error: { code: 409, message: 'validation.failed', errors: { 'obj.body': [{ msg: 'error.reserved.key', args: [key] }] } } }, `create with ${key}`)
  }
  client.sendRaw('{"tag":3,"cmd":"create","r":"/users/","body":{"name":"x","score":{"inner":{"__proto__":{"admin":true}}}}}')
  t.match(await client.json(), { tag: 3, error: { code: 409, errors: { 'obj.body': [{ args: ['__proto__'] }] } } }, 'nested ones too')

  const created = await client.request({ tag: 4, cmd: 'create', r: '/users/', body: { name: 'ok' } })
  t.match(created, { tag: 4, body: { name: 'ok', _rev: 1 } })
  const r = created.r as string
  for (const key of ['constructor', 'toString', '__proto__']) {
    t.match(await client.request({ tag: 5, cmd: 'update', r, rev: 1, body: { ops: [{ op: 'set', key, value: 'v' }] } }),
      { tag: 5, error: { code: 409, message: 'validation.failed', errors: { 'obj.body.ops[0].key': [{ msg: 'error.reserved.key', args: [key] }] } } }, `update of field ${key}`)
  }
  client.sendRaw(`{"tag":6,"cmd":"update","r":${JSON.stringify(r)},"rev":1,"body":{"ops":[{"op":"set","key":"name","value":{"constructor":1}}]}}`)
  t.match(await client.json(), { tag: 6, error: { code: 409, errors: { 'obj.body.ops[0].value': [{ args: ['constructor'] }] } } }, 'a reserved key in a value')
  const got = await client.request({ tag: 7, cmd: 'get', r })
  t.same(got.body, { name: 'ok', age: 0, _r: r, _rev: 1 }, 'the object is as created')
})

t.test('a frame nested past maxDepth gets 409 without a tag and the connection stays', async (t) => {
  const app = await startReally(t, {}, limits)
  const client = await initialized(t, app)
  for (const depth of [65, 5_000, 100_000]) {
    client.sendRaw(`{"tag":2,"cmd":"create","r":"/users/","body":{"name":${nestedText(depth)}}}`)
    t.same(await client.json(), { error: { code: 409, message: 'validation.failed', errors: { obj: [{ msg: 'error.max.depth', args: [64] }] } } }, `${depth} levels`)
  }
  t.match(await client.request({ tag: 3, cmd: 'ping' }), { tag: 3, evt: 'pinged' })
  t.equal(client.closeInfo, null)
})

t.test('Rs with names past 255 bytes are invalid; subscriptions per connection are bounded', async (t) => {
  const app = await startReally(t, {}, limits)
  const client = await initialized(t, app)
  t.match(await client.request({ tag: 2, cmd: 'read', r: `/${'u'.repeat(256)}/` }), { tag: 2, error: { code: 409, errors: { 'obj.r': [{ msg: 'error.collection.r.expected' }] } } }, 'a 256-byte collection name')
  const ids = []
  for (let i = 0; i < 4; i++) ids.push((await client.request({ tag: 3, cmd: 'create', r: '/users/', body: { name: `u${i}` } })).r as string)
  const subscribe = (tag: number, rs: string[]) => client.request({ tag, cmd: 'subscribe', body: { subscriptions: rs.map((r) => ({ r, rev: 1 })) } })
  t.same((await subscribe(4, ids.slice(0, 2))).body, { subscriptions: ids.slice(0, 2) })
  t.match(await subscribe(5, ids.slice(1, 4)), { tag: 5, error: { code: 409, errors: { 'obj.body.subscriptions': [{ msg: 'error.max.subscriptions', args: [3] }] } } }, 'a fourth R')
  t.same((await subscribe(6, ids.slice(0, 3))).body, { subscriptions: ids.slice(0, 3) }, 'three in all is within the limit (two already held)')
  t.same((await client.request({ tag: 7, cmd: 'unsubscribe', body: { subscriptions: [ids[0]] } })).body, { subscriptions: [ids[0]] })
  t.same((await subscribe(8, [ids[3]])).body, { subscriptions: [ids[3]] }, 'room again after unsubscribe')
})
