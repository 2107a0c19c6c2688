import t, { type Test } from 'tap'
import { sharedClusterOverrides, startApp, type RunningApp } from '../../helpers/app.js'
import { nestedText } from '../../hostile/frames.js'
import { eventually } from '../../helpers/ws-client.js'
import { connected, emit, open, subscribe, telegraphyOverrides } from './helpers.js'

// Issue 14 input limits in Telegraphy (README "Limits"): every breach is answered INVALID_MESSAGE
// (§3.5) on a connection that stays open; nothing a client sends ends the process.

const limits = { maxDepth: 64, filtersPerSubscription: 3, subscriptionsPerConnection: 2 }
// Big enough for a frame of 100,000 levels to reach the session (past it, ws closes with 1009).
const server = { maxPayload: 2 ** 20 }
const subscribeFrame = (id: number, filters: string) => `{"message":"SUBSCRIBE","id":${id},"args":{"event_name":"demo.Item","filters":${filters}}}`

/** The attack of issue 14 (a value thousands deep in a field the session stores), then a drop and a resume. */
async function deepFiltersThenDrop (t: Test, node: RunningApp): Promise<void> {
  const { client, sessionToken } = await connected(node.url, node.wsUrl)
  for (const depth of [65, 5_000, 100_000]) {
    client.sendRaw(subscribeFrame(1, `{"a":${nestedText(depth)}}`))
    t.match(await client.json(), { success: false, status: 'INVALID_MESSAGE', id: null, data: { message: 'nested deeper than 64 levels' } }, `${depth} levels refused`)
  }
  // 64 levels in all (frame, args, filters, 61 arrays) is within the limit, stored and listed back.
  client.sendRaw(subscribeFrame(2, `{"a":${nestedText(61)}}`))
  t.match(await client.json(), { success: true, status: 'SUBSCRIBED', id: 2 }, 'within the limit')
  client.close()
  await eventually(async () => (await node.app.services.store.get(`telegraphy:session:${sessionToken}`)) !== null, 3000, 'session kept')
  const back = await open(node.wsUrl)
  const reply = await back.request({ message: 'RECONNECT', id: 3, session_token: sessionToken })
  t.match(reply, { success: true, status: 'CONNECTED', subscriptions: [{ event_name: 'demo.Item', filters: { a: [] } }] }, 'the process is up and the session resumes')
  await emit(node.url, 'demo.Item', { a: JSON.parse(nestedText(61)) })
  t.match(await back.json(), { event: 'demo.Item' }, 'its deep (allowed) filter still matches')
}

t.test('a deeply nested frame is refused before anything parses it, single node', async (t) => {
  await deepFiltersThenDrop(t, await startApp(t, { limits, server, ...telegraphyOverrides() }))
})

t.test('a deeply nested frame is refused before anything parses it, with Redis', async (t) => {
  await deepFiltersThenDrop(t, await startApp(t, { limits, server, ...(await sharedClusterOverrides(t)), ...telegraphyOverrides() }))
})

t.test('names, filters, reserved keys and subscription counts are bounded', async (t) => {
  const node = await startApp(t, { limits, ...telegraphyOverrides() })
  const { client } = await connected(node.url, node.wsUrl)
  const refused = async (id: number, args: unknown, message: RegExp, what: string) => {
    t.match(await client.request({ message: 'SUBSCRIBE', id, args }), { success: false, status: 'INVALID_MESSAGE', id, data: { message } }, what)
  }
  await refused(1, { event_name: 'demo.\u0000Item', lazy: true }, /control characters/, 'control characters in a name')
  await refused(2, { event_name: 'demo.\ud800', lazy: true }, /lone surrogate/, 'a lone surrogate in a name')
  await refused(3, { event_name: 'é'.repeat(128), lazy: true }, /longer than 255 bytes/, 'a name of 256 bytes')
  await refused(4, { event_name: 'demo.Item', filters: { a: 1, b: 2, c: 3, d: 4 } }, /at most 3 filters/, 'a fourth filter')
  for (const key of ['__proto__', 'constructor', 'prototype', 'toString']) {
    client.sendRaw(`{"message":"SUBSCRIBE","id":5,"args":{"event_name":"demo.Item","filters":{"ok":{${JSON.stringify(key)}:1}}}}`)
    t.match(await client.json(), { status: 'INVALID_MESSAGE', id: 5, data: { message: new RegExp(`key "${key}"`) } }, `${key} in stored filters`)
  }
  t.match(await client.request({ message: 'UNSUBSCRIBE', id: 6, args: { event_name: 'x'.repeat(300) } }), { status: 'INVALID_MESSAGE', id: 6 }, 'UNSUBSCRIBE names too')

  await subscribe(client, 7, { event_name: 'demo.Item', filters: { n: 1 } })
  await subscribe(client, 8, { event_name: 'demo.Item', filters: { n: 2 } })
  await refused(9, { event_name: 'demo.Item', filters: { n: 3 } }, /at most 2 subscriptions per connection/, 'a third subscription')
  await subscribe(client, 10, { event_name: 'demo.Item', filters: { n: 2 }, permanent: true })
  t.pass('subscribing again to one it has updates it, within the limit')
  t.match(await client.request({ message: 'UNSUBSCRIBE', id: 11, args: { event_name: 'demo.Item', filters: { n: 1 } } }), { status: 'UNSUBSCRIBED' })
  await subscribe(client, 12, { event_name: 'demo.Item', filters: { n: 3 } })
  t.pass('room again after an UNSUBSCRIBE')
  t.equal(client.closeInfo, null, 'every refusal left the connection open')
})

t.test('a SUBSCRIBE writes its own subscription to Redis, not the whole session (issue 14, item 3)', async (t) => {
  const overrides = await sharedClusterOverrides(t)
  const node = await startApp(t, { ...overrides, ...telegraphyOverrides() })
  const { client, sessionToken } = await connected(node.url, node.wsUrl)
  // Every write the session makes to the (Redis) store, with its size. MONITOR would see the
  // wire itself, but ioredis's monitor mode breaks ("Command queue state error") when other
  // clients are busy on the same Redis, as they are under the full suite.
  const store = node.app.services.store
  let written = 0
  let commands = 0
  for (const method of ['set', 'setIfAbsent', 'push', 'hashSet'] as const) {
    const write = store[method].bind(store) as (...args: unknown[]) => Promise<unknown>
    ;(store as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
      commands++
      written += args.reduce<number>((n, a) => n + (typeof a === 'string' ? Buffer.byteLength(a) : 0), 0)
      return write(...args)
    }
  }
  const count = 200
  const filler = 'f'.repeat(200)
  for (let i = 0; i < count; i++) {
    client.send({ message: 'SUBSCRIBE', id: i, args: { event_name: 'demo.Item', filters: { n: i, filler } } })
  }
  const replies = []
  for (let i = 0; i < count; i++) replies.push(await client.json(5000))
  t.same(replies.map((r) => `${r.id} ${r.status}`), Array.from({ length: count }, (_v, i) => `${i} SUBSCRIBED`))
  await eventually(() => commands >= count, 3000, 'the writes seen')
  // One write of ~450 bytes each; rewriting the record would write count²/2 × ~300 bytes (6 MB).
  t.ok(written < count * 1000, `${written} bytes written for ${count} SUBSCRIBEs`)
  t.equal((await store.hashGetAll(`telegraphy:subs:${sessionToken}`)).size, count, 'one field each')
})
