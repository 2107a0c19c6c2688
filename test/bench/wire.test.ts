import t from 'tap'
import { dasAck, extractSentAt, payload, subscribeSteps, SUBJECTS, WIRES } from '../../bench/lib/wire.js'
import { sizes } from '../../bench/scenarios/options.js'

// The bench's clients recognise replies by substring (no JSON.parse per delivery): each step must
// accept its protocol's success, refuse its error, and wait on anything else.
t.test('every subject\'s steps tell success, refusal and other frames apart', async (t) => {
  const replies: Record<string, Array<[string, string]>> = {
    webrocket: [['{"authenticated":"bench"}', '{"err":"INVALID_CREDENTIALS"}'], ['{"subscribed":"c"}', '{"err":"ACCESS_DENIED"}']],
    telegraphy: [['{"status":"CONNECTED"}', '{"success":false}'], ['{"status":"SUBSCRIBED"}', '{"success":false}']],
    syscache: [['{"name":"response","namespace":"rpc"}', '{"name":"error"}'], ['{"subscribe":"dispatcher"}', '{"name":"error"}']],
    ws: [['{"ok":"auth"}', '{"error":"no"}'], ['{"ok":"sub"}', '{"error":"no"}']],
    'ws-prebuilt': [['{"ok":"auth"}', '{"error":"no"}'], ['{"ok":"sub"}', '{"error":"no"}']],
    'ws-fastify': [['{"ok":"auth"}', '{"error":"no"}'], ['{"ok":"sub"}', '{"error":"no"}']],
    uws: [['{"ok":"auth"}', '{"error":"no"}'], ['{"ok":"sub"}', '{"error":"no"}']],
    das: [['0{"sid":"x"}', '4'], ['40/das,{"sid":"y"}', '44/das,{"message":"no"}'],
      ['42/das,["resp_authorization",{"type":"resp_authorization","resp_id":1,"status":{"code":200,"message":"OK"}}]',
        '42/das,["resp_authorization",{"type":"resp_authorization","resp_id":1,"status":{"code":401,"message":"Invalid credentials"}}]']],
  }
  let checked = 0
  for (const subject of SUBJECTS) {
    const wire = WIRES[subject]
    const expected = replies[subject.replace(/-rules$|-nometrics$|-unacked$/, '')]
    if (!expected) continue
    checked++
    subscribeSteps(wire, 'token').forEach((step, i) => {
      if (subject.startsWith('das') && i === 0) {
        t.equal(step.check(expected[0]![0]), true, `${subject}: engine.io open`)
        return
      }
      t.equal(step.check(expected[i]![0]), true, `${subject} step ${i}: success`)
      t.equal(step.check(expected[i]![1]), false, `${subject} step ${i}: refused`)
      t.equal(step.check('{"something":"else"}'), null, `${subject} step ${i}: not its reply`)
    })
  }
  t.equal(checked, SUBJECTS.length - 1, 'every subject but socketio (below)')
  const das = subscribeSteps(WIRES.das, 'tok')
  t.match(das[2]!.send, /"authorization":"Bearer tok"/, 'DAS authorizes with the bearer token')
  t.equal(das[2]!.check('42/das,["connect_ack",{"type":"connect_ack"}]'), null, 'DAS connect_ack is not the answer')
  t.throws(() => subscribeSteps(WIRES.das, null), /token/, 'DAS cannot subscribe without a token')
  t.equal(subscribeSteps(WIRES.ws, null), WIRES.ws.subscribe, 'a wire without a token')
  const io = subscribeSteps(WIRES.socketio, null)
  t.same([io[0]!.check('0{"sid":"x"}'), io[0]!.check('40')], [true, null], 'engine.io open')
  t.same([io[1]!.check('40{"sid":"y"}'), io[1]!.check('44{"message":"no"}'), io[1]!.check('2')], [true, false, null], 'socket.io connect')
  t.same([io[2]!.check('430[]'), io[2]!.check('2')], [true, null], 'subscribe ack')
})

t.test('publish frames carry the payload', async (t) => {
  const data = payload(1)
  for (const subject of SUBJECTS) {
    const publisher = WIRES[subject].publisher
    if (publisher === null) continue
    const frame = publisher.kind === 'ws' ? publisher.frame(data) : publisher.body(data)
    t.ok(frame.includes(data), `${subject}: ${frame.slice(0, 40)}…`)
    t.doesNotThrow(() => JSON.parse(frame.startsWith('42') ? frame.slice(2) : frame))
  }
})

t.test('DAS deliveries are acknowledged with their trace_id; other frames are not deliveries', async (t) => {
  const event = (head: string) => Buffer.from(`${head}["subject_update",{"type":"subject_update","data":${payload(1)},"mid":3,"trace_id":"trace-abc-1796266563.510123"}]`)
  t.equal(dasAck(event('42/das,17')), '43/das,17["trace-abc-1796266563.510123"]')
  t.equal(dasAck(event('42/das,')), null, 'no ack id (connect_ack and the like)')
  t.equal(dasAck(event('42/other,17')), null, 'another namespace')
  t.equal(dasAck(Buffer.from('42/das,5["x",{}]')), null, 'no trace_id')
  t.equal(dasAck(Buffer.from('42/das,5["x",{"trace_id":"open')), null, 'a trace_id cut short')
  t.equal(dasAck(Buffer.from('2')), null, 'an engine.io ping')
})

t.test('a payload is 100 bytes and its send time is read back by byte search', async (t) => {
  const sentAt = 1_796_266_563_510.123
  const frame = payload(sentAt)
  t.equal(Buffer.byteLength(frame), 100)
  t.equal(extractSentAt(Buffer.from(`{"data":${frame}}`)), sentAt)
  t.ok(Number.isNaN(extractSentAt(Buffer.from('{"no":"time"}'))))
})

t.test('sizes: smoke runs are small, full runs are the README\'s', async (t) => {
  const smoke = sizes(true, 'r', 2)
  const full = sizes(false, 'r', 2)
  t.match(smoke, { smoke: true, fanout: { subscribers: 20 }, connectionRounds: 1 })
  t.match(full, { smoke: false, fanout: { subscribers: 1000, latencyRate: 200 }, memory: { connections: 15_000 }, connectionRounds: 5 })
})
