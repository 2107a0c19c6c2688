import t, { type Test } from 'tap'
import { startApp } from '../helpers/app.js'
import { ALICE } from '../helpers/config.js'
import { authorizedClient, dasOverrides, oauthToken, type DasClient } from '../plugins/das/das-client.js'
import { HOSTILE_FRAME_COUNT, hostileFrames, seeded } from './frames.js'
import { heapMb, settledHeap } from './ws-fuzz.js'

// Hostile messages at an authorized DAS socket (issue 14). The "frame" is the args array of a
// Socket.IO event: `[event, hostile]`, written as a raw packet so that values nested deeper than
// socket.io-client itself could encode (100,000 levels) reach the server's parser. Each known
// event is answered by its own response event (§5.3; failures carry `error`, §5.4), an unknown
// event is ignored (§5.4: a following echo still answers), and a packet that is not JSON or is
// past maxPayload closes the transport (Socket.IO's and engine.io's documented behaviour).

type Templates = Parameters<typeof hostileFrames>[0]

/** Client events and the server event answering each; null: ignored (§5.4). */
const EVENTS: Array<[string, string | null]> = [
  ['echo', 'echo_resp'], ['event_filter', 'event_filter_response'], ['patrol_filter', 'patrol_filter_response'],
  ['bbox', 'bbox_resp'], ['no_such_event', null],
]
const TEMPLATES: Templates = [
  { id: 1, data: { nested: { list: [1, 2, 3] } } },
  { id: 2, filter: { text: 'arrest', state: ['active'] } },
  { id: 3, data: '36.1,-1.5,37.25,0.5' },
  { filter: { date_range: { lower: '2020-01-01' } }, status: ['open'] },
]

/** Engine.io's client socket under socket.io-client (`socket.io.engine`, a documented property). */
interface RawPacketSocket { io: { engine: { write (data: string): void } } }

function isJson (text: string): boolean {
  try {
    JSON.parse(text)
    return true
  } catch {
    return false
  }
}

interface Tally { sent: number, errors: number, replies: number, closes: number, failures: string[] }

async function fuzz (t: Test, maxPayload: number, count: number): Promise<void> {
  const { url } = await startApp(t, { ...dasOverrides({ authWindow: 0 }), server: { maxPayload } })
  const token = await oauthToken(url, ALICE)
  const open = () => authorizedClient({ teardown: () => {} }, url, token)
  const bystander = await authorizedClient(t, url, token)
  const heapBefore = heapMb()

  const tally: Tally = { sent: 0, errors: 0, replies: 0, closes: 0, failures: [] }
  const random = seeded(5)
  let client: DasClient = await open()
  for (const frame of hostileFrames(TEMPLATES, count, 51)) {
    tally.sent++
    const [event, answer] = EVENTS[Math.floor(random() * EVENTS.length)]
    const text = frame.toString('latin1')
    const packet = `2/das,[${JSON.stringify(event)},${text}]`
    const closes = !isJson(text) || Buffer.byteLength(packet) + 1 > maxPayload
    const shown = `${event} ${text.slice(0, 120)}${text.length > 120 ? `… (${text.length} chars)` : ''}`
    ;(client.socket as unknown as RawPacketSocket).io.engine.write(packet)
    if (answer === null) client.emit('echo', { id: 'probe', data: 1 })
    const outcome = await Promise.race([
      client.next(answer ?? 'echo_resp', 5000).then((payload) => ({ payload }), () => ({ payload: null })),
      client.disconnected(6000).then((reason) => ({ reason }), () => ({ reason: null })),
    ])
    if ('reason' in outcome) {
      if (closes && outcome.reason === 'transport close') tally.closes++
      else tally.failures.push(`disconnected (${outcome.reason}) after ${shown}`)
      client = await open()
    } else if (outcome.payload === null) {
      tally.failures.push(`no ${answer ?? 'echo_resp to the probe'} within 5000 ms after ${shown}`)
    } else if (closes) {
      tally.failures.push(`a packet that should close was answered: ${shown}`)
    } else if (answer === null) {
      if (outcome.payload.resp_id === 'probe') tally.errors++
      else tally.failures.push(`the unknown event was answered: ${JSON.stringify(outcome.payload).slice(0, 200)}`)
    } else {
      const failed = outcome.payload.error !== undefined || (outcome.payload.status?.code ?? 200) !== 200
      tally[failed ? 'errors' : 'replies']++
    }
    if (tally.failures.length >= 10) break
  }
  client.close()

  t.same(tally.failures, [], 'every message answered by its DAS response, ignored (unknown event) or a documented close')
  t.equal(tally.sent, count)
  t.ok(tally.errors > count / 3, `many failures answered (${tally.errors} errors or ignored, ${tally.replies} saved/echoed, ${tally.closes} closes)`)
  t.ok(tally.replies > 0, 'some messages reached the handlers past validation')

  t.same(await bystander.request('echo', { id: 7, data: 'after' }, 'echo_resp'), { type: 'echo_resp', resp_id: 7, message: 'after' }, 'the bystander still answers')
  t.ok(bystander.connected, 'and was never disconnected')
  const fresh = await open()
  t.match(await fresh.request('event_filter', { id: 8, text: 'ok' }, 'event_filter_response'), { message: 'Event filter has been saved.', resp_id: 8 }, 'the process answers a valid request')
  fresh.close()
  const heapAfter = await settledHeap(heapBefore, 100, 10_000)
  t.ok(heapAfter < heapBefore + 100, `heap back near its baseline (${heapBefore.toFixed(0)} → ${heapAfter.toFixed(0)} MB)`)
}

t.test(`${HOSTILE_FRAME_COUNT} hostile messages, maxPayload 1mb (100,000 levels reach the parser)`, (t) => fuzz(t, 2 ** 20, HOSTILE_FRAME_COUNT))
t.test('hostile messages at the default maxPayload (the large ones close the transport)', (t) => fuzz(t, 64 * 1024, Math.min(300, HOSTILE_FRAME_COUNT)))
