import t, { type Test } from 'tap'
import { isUtf8 } from 'node:buffer'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import { ServerFrame } from '../../plugins/syscache/messages.js'
import { nameProblem, parseClientJson } from '../../src/core/limits/index.js'
import { ALICE } from '../helpers/config.js'
import { request, startApp, TEST_API_KEY, type RunningApp } from '../helpers/app.js'
import { WsClient } from '../helpers/ws-client.js'
import { HOSTILE_FRAME_COUNT, hostileFrames } from './frames.js'
import { checkHeap, checkOutcome, fuzzSocket, heapAfterGc, type SocketFuzzTarget } from './socket-fuzz.js'

// Issue 14 fuzz suite, syscache (spec §1): hostile frames from the protocol's own frames, each
// answered by a syscache frame (the §1.5 error envelope mostly) or a documented close; the
// process, another connection and the heap come through unharmed.

type Template = Parameters<typeof hostileFrames>[0][number]

const isServerFrame = TypeCompiler.Compile(ServerFrame)
const MAX_DEPTH = 64
const LOGIN = { namespace: 'rpc', name: 'auth', id: 'login', args: { username: 'admin', password: 'admin-pass' } }

/** Whole requests (the mutation replaces namespace, name, id or args, or adds a key). */
const FRAMES: Template[] = [
  LOGIN,
  { namespace: 'rpc', name: 'auth_token', id: 'at', args: { token: 'abcdefghij0123456789' } },
  { namespace: 'rpc', name: 'identify', id: 'i', args: null },
  { namespace: 'rpc', name: 'query', id: 'q', args: {} },
  { namespace: 'events', name: 'subscribe', id: 's', args: ['dispatcher', 'system-state'] },
  { namespace: 'events', name: 'unsubscribe', id: 'u', args: 'dispatcher' },
  { namespace: 'sysadm', name: 'systemmanager', id: 'm', args: { action: 'memorystats' } },
  { namespace: 'rpc', name: 'dispatcher', id: 'd', args: { action: 'run', p1: 'echo hi' } },
  { namespace: 'rpc', name: 'auth_clear', id: 'c', args: 'junk argument' },
]
/** Args of requests, wrapped in their envelope, so the mutations reach their fields. */
const ARGS: Array<[string, string, Template]> = [
  // A local user without a password (allowLocalWithoutPassword): no frame costs a scrypt run.
  ['rpc', 'auth', { username: 'admin' }],
  ['rpc', 'auth_token', { token: 'abcdefghij0123456789' }],
  ['sysadm', 'systemmanager', { action: 'cpupercentage' }],
  ['sysadm', 'update', { action: 'check', extra: 'x' }],
  ['rpc', 'dispatcher', { action: 'run', p1: 'echo hi' }],
]

function * syscacheFrames (count: number, seed: number): Generator<string | Buffer> {
  const whole = hostileFrames(FRAMES, count, seed)
  const inner = ARGS.map(([, , args], i) => hostileFrames([args], count, seed * 31 + i))
  for (let i = 0; i < count; i++) {
    const k = i % (ARGS.length + 2)
    if (k >= ARGS.length) {
      yield whole.next().value as string | Buffer
      continue
    }
    const args = inner[k].next().value as string | Buffer
    const [namespace, name] = ARGS[k]
    yield typeof args === 'string' ? `{"namespace":"${namespace}","name":"${name}","id":"f${i}","args":${args}}` : args
  }
}

/** §1.4 #3: a valid `auth_clear` is never answered. */
function isAuthClear (frame: string | Buffer): boolean {
  if (typeof frame !== 'string') return false
  const parsed = parseClientJson(frame, MAX_DEPTH)
  if (!parsed.ok) return false
  const v = parsed.value as Record<string, unknown> | null
  return typeof v === 'object' && v !== null && v.namespace === 'rpc' && v.name === 'auth_clear' && 'args' in v &&
    (typeof v.id === 'string' || typeof v.id === 'number') && nameProblem('auth_clear') === null
}

function target (app: RunningApp, maxPayload: number): SocketFuzzTarget {
  return {
    url: `${app.wsUrl}/syscache`,
    login: JSON.stringify(LOGIN),
    isLoggedIn: (reply) => { const r = JSON.parse(reply); return r.id === 'login' && r.name === 'response' },
    marker: (n) => `{"namespace":"rpc","name":"identify","id":"marker-${n}","args":null}`,
    isMarkerReply: (reply, n) => { const r = JSON.parse(reply); return r.id === `marker-${n}` && r.name === 'response' },
    isProtocolFrame: (reply) => isServerFrame.Check(JSON.parse(reply)),
    isError: (reply) => JSON.parse(reply).name === 'error',
    // ws closes a frame over maxPayload (1009) and a text frame that is not UTF-8 (1007, RFC 6455 §8.1).
    documentedClose: (frame, text) => {
      if (Buffer.byteLength(frame) > maxPayload) return 1009
      return typeof frame !== 'string' && text && !isUtf8(frame) ? 1007 : null
    },
    maySkipReply: isAuthClear,
  }
}

async function run (t: Test, maxPayload: number, seed: number, count: number): Promise<void> {
  const app = await startApp(t, {
    server: { maxPayload },
    limits: { maxDepth: MAX_DEPTH },
    protocols: { syscache: { idleTimeout: 0, authWindow: 0, allowLocalWithoutPassword: true } },
  })
  // A bystander opened before the fuzzing, logged in as another user and subscribed.
  const bystander = await WsClient.connect(`${app.wsUrl}/syscache`)
  t.equal((await bystander.request({ namespace: 'rpc', name: 'auth', id: 'b', args: ALICE })).name, 'response')
  t.equal((await bystander.request({ namespace: 'events', name: 'subscribe', id: 'bs', args: ['life-preserver'] })).name, 'response')
  const before = heapAfterGc()

  const started = Date.now()
  const outcome = await fuzzSocket(target(app, maxPayload), syscacheFrames(count, seed), { maxPayload: 2 * maxPayload })
  checkOutcome(t, outcome, count, Date.now() - started)

  // The process is up and the bystander untouched: nothing arrived, it is open, logged in, and it works.
  t.same(bystander.frames, [], 'the bystander received nothing')
  t.equal(bystander.closeInfo, null, 'the bystander is open')
  const pushed = await request(app.url, 'POST', '/api/syscache/events/life-preserver', { apiKey: TEST_API_KEY, body: { message: 'after' } })
  t.equal(pushed.status, 204)
  t.same((await bystander.json()).args, { name: 'life-preserver', args: { message: 'after' } })
  t.equal((await bystander.request({ namespace: 'rpc', name: 'query', id: 'bq', args: {} })).name, 'response', 'still logged in')
  checkHeap(t, before)
  bystander.close()
}

t.test('hostile syscache frames, maxPayload 1mb (100,000-level frames reach the parser)', (t) => run(t, 1024 * 1024, 1, HOSTILE_FRAME_COUNT))
// The default 64 KB: the largest frames are closed by ws (1009) instead; a quarter of the count.
t.test('hostile syscache frames, default maxPayload', (t) => run(t, 64 * 1024, 2, Math.ceil(HOSTILE_FRAME_COUNT / 4)))
