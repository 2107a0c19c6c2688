import t, { type Test } from 'tap'
import { startApp } from '../helpers/app.js'
import { connected, emit, subscribe, telegraphyOverrides } from '../plugins/telegraphy/helpers.js'
import { HOSTILE_FRAME_COUNT, hostileFrames } from './frames.js'
import { embedded, fuzzWebSocket, heapMb, interleaved, settledHeap, type Verdict } from './ws-fuzz.js'

// Hostile frames at a CONNECTed Telegraphy session (issue 14): each is answered by a §3.5
// MANAGEMENT reply (INVALID_MESSAGE and friends) or a documented close (1009 past maxPayload);
// the process, its memory and another connection stay as they were.

const STATUSES = new Set(['CONNECTED', 'INVALID_TOKEN', 'INVALID_SESSION', 'CONNECT_TIMEOUT', 'ALREADY_CONNECTED',
  'SUBSCRIBED', 'UNSUBSCRIBED', 'EVENT_NOT_REGISTERED', 'NOT_SUBSCRIBED', 'NOT_CONNECTED', 'UNKNOWN_MESSAGE', 'INVALID_MESSAGE'])

type Templates = Parameters<typeof hostileFrames>[0]

function verdict (text: string): Verdict {
  let reply: { success?: unknown, status?: unknown }
  try {
    reply = JSON.parse(text)
  } catch {
    return 'foreign'
  }
  if (typeof reply?.success !== 'boolean' || !STATUSES.has(reply.status as string)) return 'foreign'
  return reply.success ? 'reply' : 'error'
}

const FRAMES: Templates = [
  { message: 'SUBSCRIBE', id: 1, args: { event_name: 'demo.Item', filters: { n: 1 }, permanent: true, lazy: false } },
  { message: 'UNSUBSCRIBE', id: 2, args: { event_name: 'demo.Item', filters: { n: 1 } } },
  { message: 'CONNECT', id: 3, args: { auth_token: 'token' } },
  { message: 'RECONNECT', id: 4, session_token: 'token' },
]
// The args of SUBSCRIBE/UNSUBSCRIBE mutated, inside valid envelopes: these reach the limits,
// the registry and the stored subscriptions.
const ARGS: Templates = [
  { event_name: 'demo.Item', filters: { n: 1, kind: 'x' }, permanent: false, lazy: true },
  { event_name: 'demo.Item', filters: { deep: { list: [1, 2, 3] } } },
]

async function fuzz (t: Test, maxPayload: number, count: number): Promise<void> {
  const node = await startApp(t, { server: { maxPayload }, ...telegraphyOverrides() })
  const bystander = (await connected(node.url, node.wsUrl)).client
  await subscribe(bystander, 1, { event_name: 'demo.Item' })
  const heapBefore = heapMb()

  const half = Math.ceil(count / 2)
  let embeddedCount = 0
  const frames = interleaved(
    hostileFrames(FRAMES, half, 14),
    // SUBSCRIBE and UNSUBSCRIBE bodies in turn.
    embedded(hostileFrames(ARGS, count - half, 15), (args) => `{"message":"${embeddedCount++ % 2 ? 'UNSUBSCRIBE' : 'SUBSCRIBE'}","id":7,"args":${args}}`),
  )
  const tally = await fuzzWebSocket(frames, { open: async () => (await connected(node.url, node.wsUrl)).client, verdict })

  t.same(tally.failures, [], 'every frame answered by a Telegraphy reply or a documented close')
  t.equal(tally.sent, count)
  t.ok(tally.errors > count / 2, `mostly errors (${tally.errors} errors, ${tally.replies} other replies, closes ${JSON.stringify(tally.closes)})`)
  t.ok(tally.replies > 0, 'some frames reached the code past validation (SUBSCRIBED, UNSUBSCRIBED, …)')

  const fresh = await connected(node.url, node.wsUrl)
  t.match(await fresh.client.request({ message: 'SUBSCRIBE', id: 9, args: { event_name: 'demo.Item' } }), { status: 'SUBSCRIBED', id: 9 }, 'the process answers a valid request')
  await emit(node.url, 'demo.Item', { after: true })
  t.match(await bystander.json(), { event: 'demo.Item', data: { after: true } }, 'the bystander connection still gets its events')
  t.equal(bystander.closeInfo, null, 'and was never closed')
  fresh.client.close()
  // Dropped sessions keep their subscriptions (bounded by the limits) for the reconnect window.
  const heapAfter = await settledHeap(heapBefore, 100, 10_000)
  t.ok(heapAfter < heapBefore + 100, `heap back near its baseline (${heapBefore.toFixed(0)} → ${heapAfter.toFixed(0)} MB)`)
}

t.test(`${HOSTILE_FRAME_COUNT} hostile frames, maxPayload 1mb (100,000 levels reach the parser)`, (t) => fuzz(t, 2 ** 20, HOSTILE_FRAME_COUNT))
t.test('hostile frames at the default maxPayload (the large ones close with 1009)', (t) => fuzz(t, 64 * 1024, Math.min(300, HOSTILE_FRAME_COUNT)))
