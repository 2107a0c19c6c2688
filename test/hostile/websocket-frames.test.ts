import t from 'tap'
import { startApp } from '../helpers/app.js'
import { RawWebSocket, clientFrame } from '../helpers/raw-websocket.js'
import { eventually } from '../helpers/ws-client.js'
import { HOSTILE_FRAME_COUNT, seeded } from './frames.js'

// Hostile bytes below the protocols (issue 14, at the WebSocket layer the gateway reads itself):
// mutated frame headers — every opcode, RSV and mask bit, lengths of every encoding that claim
// more or less than is sent, invalid UTF-8 — and plain garbage, in pieces of any size. Every
// connection ends with a documented close (1002, 1007, 1008, 1009, or the echo of a close the
// client sent), answers its last ping, or
// waits for bytes its frame still claims; none crashes the process or touches another
// connection, and none is left in the registry once its peer has gone.

const DOCUMENTED = new Set([1002, 1007, 1008, 1009])
const LENGTHS = [0, 1, 125, 126, 127, 65535, 65536, 70_000, 2 ** 32, 2 ** 53 - 1, 2 ** 62]

function hostileBytes (random: () => number): Buffer {
  const roll = random()
  if (roll < 0.15) return Buffer.from(Array.from({ length: 1 + Math.floor(random() * 64) }, () => Math.floor(random() * 256)))
  const opcode = Math.floor(random() * 16)
  const payload = random() < 0.3
    ? Buffer.from([0xc3, 0x28, 0xff, 0xfe].slice(0, 1 + Math.floor(random() * 4)))
    : Buffer.from('x'.repeat(Math.floor(random() * 300)))
  const claimed = random() < 0.3 ? LENGTHS[Math.floor(random() * LENGTHS.length)] : payload.length
  return clientFrame(opcode, payload, {
    fin: random() < 0.7,
    rsv: random() < 0.2 ? Math.floor(random() * 8) : 0,
    mask: random() < 0.9,
    claimedLength: claimed,
  })
}

t.test(`${HOSTILE_FRAME_COUNT} hostile frame headers and garbage at the WebSocket layer`, async (t) => {
  const { app, wsUrl } = await startApp(t, { server: { maxPayload: 65536 } })
  const url = `${wsUrl}/webrocket/echo`
  const random = seeded(21)
  const outcomes = { closed: 0, answered: 0, waiting: 0 }
  const undocumented: string[] = []
  let sent = 0
  while (sent < HOSTILE_FRAME_COUNT) {
    const raw = await RawWebSocket.open(url)
    const frames = Array.from({ length: 1 + Math.floor(random() * 4) }, () => hostileBytes(random))
    sent += frames.length
    const bytes = Buffer.concat([...frames, clientFrame(9, 'still there?')])
    // In pieces of any size, so headers and payloads split everywhere.
    for (let at = 0; at < bytes.length;) {
      const size = 1 + Math.floor(random() * 40)
      raw.write(bytes.subarray(at, at + size))
      at += size
    }
    await raw.until(() => raw.closed || raw.ended || raw.frames.some((f) => f.opcode === 8 || (f.opcode === 10 && f.payload.toString() === 'still there?')), 300, 'an answer')
      .catch(() => {})
    const close = raw.frames.find((f) => f.opcode === 8)
    if (close) {
      const code = close.payload.length >= 2 ? close.payload.readUInt16BE(0) : 1005
      // A close the client sent itself is echoed with its own code (or none).
      const clientClosed = frames.some((f) => (f[0] & 0x0f) === 8)
      if (DOCUMENTED.has(code) || clientClosed) outcomes.closed++
      else undocumented.push(`${code} after ${frames.map((f) => f.subarray(0, 14).toString('hex')).join(' ')}`)
    } else if (raw.frames.some((f) => f.opcode === 10)) {
      outcomes.answered++
    } else {
      // A frame claiming more than was sent: the server is still waiting for its bytes.
      outcomes.waiting++
    }
    raw.destroy()
    await raw.untilClosed()
  }
  t.same(undocumented, [], 'every close has a documented code')
  t.ok(outcomes.closed > 0 && outcomes.answered > 0, `closed ${outcomes.closed}, answered ${outcomes.answered}, waiting ${outcomes.waiting}`)

  const control = await RawWebSocket.open(url)
  t.teardown(() => control.destroy())
  control.write(clientFrame(1, JSON.stringify({ authenticate: { user: 'joe', secret: 's3cret' } })))
  t.equal(await control.nextText(), JSON.stringify({ authenticated: 'joe' }), 'a new connection is served as before')
  await eventually(() => app.services.connections.size === 1, 5000, 'the hostile connections to leave').catch(() => {})
  t.equal(app.services.connections.size, 1, 'every hostile connection left the registry; only the control one is there')
})
