import t, { type Test } from 'tap'
import WebSocket from 'ws'
import { unavailable } from '../../bench/lib/availability.js'
import { CHANNEL, CREDENTIALS, dasAck, payload, subscribeSteps, WIRES, type Step, type SubjectName } from '../../bench/lib/wire.js'
import { CONNECTION_SUBJECTS, FANOUT_SUBJECTS } from '../../bench/scenarios/options.js'
import { benchOverrides } from '../../bench/subjects/switchboard.js'
import { textFrame } from '../../bench/subjects/prebuilt-frame.js'
import { loadUws, startUwsServer } from '../../bench/subjects/uws-server.js'
import { startWsFastifyServer } from '../../bench/subjects/ws-fastify-server.js'
import { startWsServer } from '../../bench/subjects/ws-server.js'
import type { RunningServer } from '../../bench/subjects/types.js'
import { startApp } from '../helpers/app.js'

const WAIT_MS = 5000

/** The next frame `accept` takes (bounded); frames it returns false for are passed over. */
function nextFrame (ws: WebSocket, accept: (text: string) => boolean = () => true): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { ws.off('message', on); reject(new Error('no frame')) }, WAIT_MS)
    const on = (data: Buffer) => {
      const text = data.toString()
      if (!accept(text)) return
      clearTimeout(timer)
      ws.off('message', on)
      resolve(text)
    }
    ws.on('message', on)
  })
}

/** A client that has run a wire's handshake steps, as the generators do. */
async function handshake (url: string, steps: Step[]): Promise<WebSocket> {
  const ws = new WebSocket(url)
  const opened = new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject) })
  for (const [i, step] of steps.entries()) {
    const reply = nextFrame(ws, (text) => step.check(text) !== null)
    if (i === 0) await opened
    if (step.send !== null) ws.send(step.send)
    const text = await reply
    if (step.check(text) !== true) throw new Error(`step ${i} refused: ${text}`)
  }
  await opened
  return ws
}

async function plainRoundTrip (t: Test, subject: SubjectName, server: RunningServer): Promise<void> {
  const wire = WIRES[subject]
  const url = `ws://127.0.0.1:${server.port}${wire.path}`
  const subscribers = await Promise.all([1, 2].map(() => handshake(url, subscribeSteps(wire, null))))
  const publisher = wire.publisher!
  if (publisher.kind !== 'ws') throw new Error('a ws publisher')
  const pub = await handshake(url, publisher.steps)
  t.equal(server.connections(), 3, `${subject}: three connections`)
  const data = payload(1)
  const frames = subscribers.map((ws) => nextFrame(ws))
  pub.send(publisher.frame(data))
  const expected = { event: 'e', channel: CHANNEL, data: JSON.parse(data) }
  t.same((await Promise.all(frames)).map((f) => JSON.parse(f)), [expected, expected], `${subject}: every subscriber gets the publish`)
  // Replies go on working after a pre-built frame went out on the same socket.
  const reply = nextFrame(subscribers[0]!)
  subscribers[0]!.send('not json')
  t.equal(await reply, '{"error":"invalid json"}', `${subject}: bad input gets an error reply`)
  const refused = await handshake(url, []).then(async (ws) => {
    const answer = nextFrame(ws)
    ws.send(JSON.stringify({ sub: CHANNEL }))
    const text = await answer
    const denied = nextFrame(ws)
    ws.send(JSON.stringify({ auth: { user: 'x', secret: 'y' } }))
    const text2 = await denied
    ws.close()
    return [text, text2]
  })
  t.same(refused, ['{"error":"not authenticated"}', '{"error":"credentials"}'], `${subject}: unauthenticated and bad credentials`)
  const unknown = nextFrame(pub)
  pub.send('{"what":1}')
  t.equal(await unknown, '{"error":"unknown"}', `${subject}: an unknown frame`)
  for (const ws of [...subscribers, pub]) ws.close()
  await server.close()
}

t.test('the ws and ws-prebuilt baselines deliver the same frames', async (t) => {
  await plainRoundTrip(t, 'ws', await startWsServer())
  await plainRoundTrip(t, 'ws-prebuilt', await startWsServer({ prebuilt: true }))
})

t.test('ws-fastify: the same server behind Fastify, a connection-rate reference only', async (t) => {
  await plainRoundTrip(t, 'ws-fastify', await startWsFastifyServer())
  t.ok(CONNECTION_SUBJECTS.includes('ws-fastify') && !FANOUT_SUBJECTS.includes('ws-fastify'), 'measured in the connection scenarios only')
})

// Skipped only on a machine where the package's binary does not load (the bench skips it too).
const uws = loadUws()
t.test('uWebSockets.js: the same wire through its native pub/sub', { skip: 'error' in uws ? uws.error : false }, async (t) => {
  t.equal(unavailable('uws'), null, 'available on this machine')
  await plainRoundTrip(t, 'uws', await startUwsServer(1 << 20))
})

t.test('a uWebSockets.js binary that does not load makes the subject unavailable, not the run fail', async (t) => {
  t.match(loadUws('/nonexistent/uws.node'), { error: /does not load here/ })
  t.equal(unavailable('ws'), null)
  process.env.BENCH_UWS_BINARY = '/nonexistent/uws.node'
  t.teardown(() => { delete process.env.BENCH_UWS_BINARY })
  t.match(unavailable('uws'), /uWebSockets.js does not load here/)
  await t.rejects(startUwsServer(1 << 20), /does not load/)
})

t.test('a pre-built frame is a final unmasked text frame with the right length encoding', async (t) => {
  for (const [size, header] of [[125, 2], [126, 4], [65_535, 4], [65_536, 10]] as const) {
    const text = 'x'.repeat(size)
    const frame = textFrame(text)
    t.equal(frame[0], 0x81, `${size}: FIN + text`)
    t.equal(frame.length, header + size, `${size}: ${header}-byte header`)
    const length = header === 2 ? frame[1] : header === 4 ? frame.readUInt16BE(2) : Number(frame.readBigUInt64BE(2))
    t.equal(length, size)
    t.equal(frame[1]! & 0x80, 0, 'not masked')
    t.equal(frame.toString('latin1', header), text)
  }
})

t.test('the DAS subject: OAuth token, /das authorization, subject updates acknowledged with their trace_id', async (t) => {
  const { storage, users, protocols } = benchOverrides({ sendBufferLimit: 1 << 20, variant: 'das' }) as { storage: object, users: Array<Record<string, unknown>>, protocols: Record<string, Record<string, unknown>> }
  t.match(protocols.das, { enabled: true })
  t.match((benchOverrides({ sendBufferLimit: 1 << 20 }) as typeof protocols).protocols, { das: { enabled: false } }, 'other subjects run without DAS')
  // A short trace TTL: a socket that does not acknowledge is dropped, one that does stays.
  const { url, wsUrl } = await startApp(t, { storage, users: users as never, auth: { apiKeys: [CREDENTIALS.apiKey] }, protocols: { ...protocols, das: { ...protocols.das, traceTtl: 300, cleanupInterval: 100 } } })
  const wire = WIRES.das
  const tokenReply = await fetch(`${url}${wire.token!.path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: wire.token!.body })
  const { access_token: token } = await tokenReply.json() as { access_token: string }
  t.type(token, 'string', 'an OAuth token for the bench user')
  const [acking, silent] = await Promise.all([1, 2].map(() => handshake(`${wsUrl}${wire.path}`, subscribeSteps(wire, token))))
  const publisher = wire.publisher!
  if (publisher.kind !== 'http') throw new Error('an HTTP publisher')
  const data = payload(1.125)
  const deliveries = [acking, silent].map((ws) => nextFrame(ws!, (text) => dasAck(Buffer.from(text)) !== null))
  const published = await fetch(`${url}${publisher.path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': CREDENTIALS.apiKey }, body: publisher.body(data) })
  t.equal(published.status, 202)
  const frames = await Promise.all(deliveries)
  for (const frame of frames) t.match(frame, `"subject_update",{"type":"subject_update","data":${data}`, 'a subject_update carrying the payload')
  const silentClosed = new Promise((resolve) => silent!.once('close', resolve))
  acking!.send(dasAck(Buffer.from(frames[0]!))!)
  await silentClosed
  t.pass('the socket that left its trace unacknowledged was dropped')
  t.equal(acking!.readyState, WebSocket.OPEN, 'the one that acknowledged it stays')
  // Its next delivery still arrives, so the sweep has run past its acknowledged trace.
  const next = nextFrame(acking!, (text) => dasAck(Buffer.from(text)) !== null)
  await fetch(`${url}${publisher.path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': CREDENTIALS.apiKey }, body: publisher.body(payload(2)) })
  t.match(await next, '"mid":2', 'the second subject_update')
  acking!.close()
})

// What §5.5's acknowledgements cost (issue 21): `das-unacked` is the `das` subject with clients
// that recognise and count deliveries but never acknowledge them, on a server without the sweep
// that would drop them for it. Everything else about the wire is `das`'s.
t.test('the das-unacked subject: das without acknowledgements, and without the sweep', async (t) => {
  const unacked = WIRES['das-unacked']
  const { ack, withholdAcks, variant, ...rest } = unacked
  const { ack: dasAckOf, variant: dasVariant, ...dasRest } = WIRES.das
  t.same(rest, dasRest, 'the same path, token, handshake, publisher and pings as das')
  t.equal(ack, dasAckOf, 'deliveries recognised as das recognises them')
  t.equal(withholdAcks, true, 'but not acknowledged')
  t.equal(WIRES.das.withholdAcks, undefined, 'das acknowledges')
  t.same([variant, dasVariant], ['das-unacked', 'das'])
  const das = (v: 'das' | 'das-unacked') => (benchOverrides({ sendBufferLimit: 1 << 20, variant: v }) as { protocols: Record<string, Record<string, unknown>> }).protocols.das
  t.same(das('das-unacked'), { ...das('das'), cleanupInterval: 0 }, 'the das config with the trace sweep off')
  t.equal(das('das')!.cleanupInterval, undefined, 'das keeps the default sweep')
  t.ok(FANOUT_SUBJECTS.includes('das-unacked') && !CONNECTION_SUBJECTS.includes('das-unacked'), 'a fan-out reference only')
})
