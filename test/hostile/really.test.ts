import t, { type Test } from 'tap'
import { HOSTILE_FRAME_COUNT, hostileFrames } from './frames.js'
import { initialized, startReally } from '../plugins/really/helpers.js'
import { embedded, fuzzWebSocket, heapMb, interleaved, settledHeap, type Verdict } from './ws-fuzz.js'

// Hostile frames at an initialized Really connection (issue 14): each is answered by a spec §4.6
// error reply (or a command's reply), malformed JSON by `json.malformed` and close 1008 (§4.4),
// a frame past maxPayload by 1009; the process, its memory and another connection stay as they were.

type Templates = Parameters<typeof hostileFrames>[0]

/** A JSON object frame (as the session reads it); anything else is malformed and closes (§4.4). */
function isObjectFrame (frame: string | Buffer): boolean {
  try {
    const value = JSON.parse(frame.toString())
    return typeof value === 'object' && value !== null && !Array.isArray(value)
  } catch {
    return false
  }
}

function verdict (text: string, frame: string | Buffer): Verdict {
  let reply: { tag?: unknown, evt?: unknown, error?: { code?: unknown, message?: unknown } }
  try {
    reply = JSON.parse(text)
  } catch {
    return 'foreign'
  }
  if (typeof reply !== 'object' || reply === null) return 'foreign'
  if (reply.error !== undefined) {
    if (typeof reply.error.code !== 'number' || typeof reply.error.message !== 'string') return 'foreign'
    if (reply.evt !== undefined) return reply.evt === 'failed' ? 'push' : 'foreign'
    return reply.error.message === 'json.malformed' && reply.tag === undefined && !isObjectFrame(frame) ? 'closing' : 'error'
  }
  // Pushes carry no tag (spec §6.2); every reply carries its request's.
  if (reply.tag === undefined) return ['created', 'updated', 'deleted', 'snapshot'].includes(reply.evt as string) ? 'push' : 'foreign'
  return 'reply'
}

const FRAMES: Templates = [
  { tag: 1, cmd: 'create', r: '/users/', body: { name: 'x', age: 1 } },
  { tag: 2, cmd: 'get', r: '/users/1/', cmdOpts: { fields: ['name'] } },
  { tag: 3, cmd: 'update', r: '/users/1/', rev: 1, body: { ops: [{ op: 'set', key: 'name', value: 'y' }] } },
  { tag: 4, cmd: 'delete', r: '/users/2/' },
  { tag: 5, cmd: 'read', r: '/users/', cmdOpts: { query: { filter: 'age > $a', values: { a: 1 } }, limit: 5, subscribe: true } },
  { tag: 6, cmd: 'subscribe', body: { subscriptions: [{ r: '/users/1/', rev: 1 }] } },
  { tag: 7, cmd: 'unsubscribe', body: { subscriptions: ['/users/1/'] } },
  { tag: 8, cmd: 'ping' },
]
// Bodies of create, ops of update, options of read mutated inside valid envelopes: these reach
// the model validation, the reserved-key check, the query filter and the database.
const BODIES: Templates = [{ name: 'x', age: 1, score: 1.5, active: true }]
const OPS: Templates = [{ op: 'set', key: 'name', value: 'y' }, { op: 'addNumber', key: 'age', value: 2 }]
const OPTIONS: Templates = [{ query: { filter: 'name = $n and age >= 1', values: { n: 'x' } }, limit: 3, ascending: true, includeTotalCount: true }]

async function fuzz (t: Test, maxPayload: number, count: number): Promise<void> {
  // No idle kick (§4.7): the 20,000-frame run outlasts idleTimeout, and the bystander sends nothing meanwhile.
  const app = await startReally(t, { idleTimeout: 0 }, { server: { maxPayload } })
  const bystander = await initialized(t, app)
  const mine = await bystander.request({ tag: 1, cmd: 'create', r: '/users/', body: { name: 'bystander' } })
  t.match(await bystander.request({ tag: 2, cmd: 'subscribe', body: { subscriptions: [{ r: mine.r, rev: 1 }] } }), { tag: 2, body: { subscriptions: [mine.r] } })
  const heapBefore = heapMb()

  const quarter = Math.ceil(count / 4)
  const frames = interleaved(
    hostileFrames(FRAMES, count - 3 * quarter, 41),
    embedded(hostileFrames(BODIES, quarter, 42), (body) => `{"tag":11,"cmd":"create","r":"/users/","body":${body}}`),
    embedded(hostileFrames(OPS, quarter, 43), (op) => `{"tag":12,"cmd":"update","r":"/users/1/","rev":1,"body":{"ops":[${op}]}}`),
    embedded(hostileFrames(OPTIONS, quarter, 44), (options) => `{"tag":13,"cmd":"read","r":"/users/","cmdOpts":${options}}`),
  )
  const clients: Array<{ close: () => void }> = []
  const tally = await fuzzWebSocket(frames, {
    open: async () => {
      const client = await initialized({ teardown: () => {} }, app)
      // Judged by `verdict`, not by the server frame schemas: a reply to hostile input may break them.
      client.check = undefined
      clients.push(client)
      return client
    },
    verdict,
    closes: new Set([1009, 1008]),
  })
  for (const client of clients) client.close()

  t.same(tally.failures, [], 'every frame answered by a Really reply or a documented close')
  t.equal(tally.sent, count)
  t.ok(tally.errors > count / 2, `mostly errors (${tally.errors} errors, ${tally.replies} other replies, closes ${JSON.stringify(tally.closes)})`)
  t.ok(tally.replies > 0, 'some frames reached the commands (created, read, …)')

  const fresh = await initialized(t, app)
  // The fuzzing may have updated the bystander's object (/users/1/) too: its pushes so far are read past.
  const { body: { _rev: rev } } = await fresh.request({ tag: 3, cmd: 'get', r: mine.r })
  const after = await fresh.request({ tag: 4, cmd: 'update', r: mine.r, rev, body: { ops: [{ op: 'set', key: 'name', value: 'after' }] } })
  t.match(after, { tag: 4, r: mine.r, rev: rev + 1 }, 'the process answers a valid request')
  let push = await bystander.json()
  for (let i = 0; i < 1000 && push.rev < rev + 1; i++) push = await bystander.json()
  t.match(push, { r: mine.r, rev: rev + 1, evt: 'updated' }, 'the bystander connection still gets its pushes')
  t.equal(bystander.closeInfo, null, 'and was never closed')
  const heapAfter = await settledHeap(heapBefore, 100, 10_000)
  t.ok(heapAfter < heapBefore + 100, `heap back near its baseline (${heapBefore.toFixed(0)} → ${heapAfter.toFixed(0)} MB)`)
}

t.test(`${HOSTILE_FRAME_COUNT} hostile frames, maxPayload 1mb (100,000 levels reach the parser)`, (t) => fuzz(t, 2 ** 20, HOSTILE_FRAME_COUNT))
t.test('hostile frames at the default maxPayload (the large ones close with 1009)', (t) => fuzz(t, 64 * 1024, Math.min(300, HOSTILE_FRAME_COUNT)))
