import t, { type Test } from 'tap'
import { isUtf8 } from 'node:buffer'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import { ServerFrame } from '../../plugins/webrocket/messages.js'
import { parseClientJson } from '../../src/core/limits/index.js'
import { startApp, type RunningApp } from '../helpers/app.js'
import { client, ECHO } from '../plugins/webrocket/fixture.js'
import { HOSTILE_FRAME_COUNT, hostileFrames } from './frames.js'
import { checkHeap, checkOutcome, fuzzSocket, heapAfterGc, type SocketFuzzTarget } from './socket-fuzz.js'

// Issue 14 fuzz suite, WebRocket (spec §2): hostile frames from the protocol's own frames, each
// answered by a WebRocket frame ({"err":…} mostly) or a documented close; the process, another
// connection and the heap come through unharmed.

const isServerFrame = TypeCompiler.Compile(ServerFrame)
const MAX_DEPTH = 64

type Template = Parameters<typeof hostileFrames>[0][number]

const LOGIN = { authenticate: { user: 'back', secret: 'read-write-secret' } }
/** Whole frames (the mutation replaces an event's data, or adds a second key). */
const FRAMES: Template[] = [
  LOGIN,
  { subscribe: { channel: 'news' } },
  { unsubscribe: { channel: 'news' } },
  { broadcast: { event: 'e', channel: 'news', data: { a: 1 } } },
  { trigger: { event: 't', data: { a: 1 } } },
  { logout: true },
  { disconnect: true },
]
/** The data of each event, so the mutations reach its fields (channel, event, data, user…). */
const DATA: Record<string, Template> = {
  // A user with an empty secret: a mutated secret still logs in, and no frame costs a scrypt run
  // (a wrong secret for a user with one does, ~4 ms each, which would dominate the run).
  authenticate: { user: 'no-secret', secret: 'x' },
  subscribe: { channel: 'news' },
  unsubscribe: { channel: 'news' },
  broadcast: { event: 'e', channel: 'news', data: { a: 1 } },
  trigger: { event: 't', data: { a: 1 } },
}

/** Hostile frames: a sixth whole frames, the rest the data of one event wrapped in it. */
function * webrocketFrames (count: number, seed: number): Generator<string | Buffer> {
  const kinds = Object.keys(DATA)
  const whole = hostileFrames(FRAMES, count, seed)
  const inner = kinds.map((kind, i) => hostileFrames([DATA[kind]], count, seed * 31 + i))
  for (let i = 0; i < count; i++) {
    const k = i % (kinds.length + 1)
    if (k === kinds.length) {
      yield whole.next().value as string | Buffer
      continue
    }
    const data = inner[k].next().value as string | Buffer
    yield typeof data === 'string' ? `{"${kinds[k]}":${data}}` : data
  }
}

function target (app: RunningApp, maxPayload: number): SocketFuzzTarget {
  return {
    url: `${app.wsUrl}/webrocket/echo`,
    login: JSON.stringify(LOGIN),
    isLoggedIn: (reply) => reply === '{"authenticated":"back"}',
    marker: (n) => `{"marker-${n}":true}`,
    isMarkerReply: (reply, n) => reply === `{"err":"UNDEFINED_EVENT","event":"marker-${n}"}`,
    isProtocolFrame: (reply) => isServerFrame.Check(JSON.parse(reply)),
    isError: (reply) => reply.startsWith('{"err":'),
    // §2.4 disconnect closes (1000); ws closes a frame over maxPayload (1009) and a text frame
    // that is not UTF-8 (1007, RFC 6455 §8.1).
    documentedClose: (frame, text) => {
      if (Buffer.byteLength(frame) > maxPayload) return 1009
      if (typeof frame !== 'string') return text && !isUtf8(frame) ? 1007 : null
      const parsed = parseClientJson(frame, MAX_DEPTH)
      if (!parsed.ok || typeof parsed.value !== 'object' || parsed.value === null || Array.isArray(parsed.value)) return null
      const keys = Object.keys(parsed.value)
      return keys.length === 1 && keys[0] === 'disconnect' ? 1000 : null
    },
    maySkipReply: () => false,
  }
}

async function run (t: Test, maxPayload: number, seed: number): Promise<void> {
  const app = await startApp(t, { protocols: { webrocket: { vhosts: ECHO } }, server: { maxPayload }, limits: { maxDepth: MAX_DEPTH } })
  // A bystander opened before the fuzzing, on a channel the hostile frames never name.
  const bystander = await client(app.wsUrl, '/webrocket/echo', 'front', 'read-secret')
  t.same(await bystander.request({ subscribe: { channel: 'bystander' } }), { subscribed: 'bystander' })
  const before = heapAfterGc()

  const started = Date.now()
  const outcome = await fuzzSocket(target(app, maxPayload), webrocketFrames(HOSTILE_FRAME_COUNT, seed), { maxPayload: 2 * maxPayload })
  checkOutcome(t, outcome, HOSTILE_FRAME_COUNT, Date.now() - started)

  // The process is up and the bystander untouched: nothing arrived, it is open and it works.
  t.same(bystander.frames, [], 'the bystander received nothing')
  t.equal(bystander.closeInfo, null, 'the bystander is open')
  const writer = await client(app.wsUrl, '/webrocket/echo', 'back', 'read-write-secret')
  writer.send({ broadcast: { event: 'after', channel: 'bystander', data: 1 } })
  t.same(await writer.json(), { broadcasted: 'bystander' })
  t.same(await bystander.json(), { event: 'after', channel: 'bystander', data: 1 })
  checkHeap(t, before)
  writer.close()
  bystander.close()
}

t.test('hostile WebRocket frames, maxPayload 1mb (100,000-level frames reach the parser)', (t) => run(t, 1024 * 1024, 1))
t.test('hostile WebRocket frames, default maxPayload', (t) => run(t, 64 * 1024, 2))
