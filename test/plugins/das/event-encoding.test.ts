import t, { type Test } from 'tap'
import { Encoder, PacketType } from 'socket.io-parser'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { eventFrame, eventPacket, framePayloadBytes, SharedPayload } from '../../../plugins/das/event-encoding.js'

// The per-socket splice must give exactly the bytes socket.io's own encoder gives for
// `socket.emit(event, { ...payload, mid, trace_id }, ack)`: socket.io-client 2.x and 4.x parse them.

const PAYLOADS: Array<Record<string, unknown>> = [
  { type: 'subject_update', data: { id: 'a', name: 'Quote " backslash \\ slash / newline \n tab \t nul \u0000 bell \u0007 ls \u2028' } },
  { type: 'subject_update', data: { id: 1, name: 'Éléphant 象 🐘 \ud83d', lone: '\udc00x' } },
  { type: 'subject_update', data: { n: [0, -0, 1.5, -2e-7, 1e21, 123456789012345680000, Number.MAX_SAFE_INTEGER, 0.1 + 0.2], ok: true, no: false, nil: null } },
  { type: 'subject_update', data: { a: { b: { c: [{ d: [[]] }, {}] } }, 'key "quoted"': 'v', '': 'empty key' } },
  {
    type: 'subject_update',
    data: {
      id: 's1',
      last_position: { type: 'Feature', geometry: { type: 'Point', coordinates: [36.8, -1.29] }, properties: { title: 'Elk' } },
      track: { type: 'FeatureCollection', features: [{ type: 'Feature', geometry: { type: 'LineString', coordinates: [[36.8, -1.29], [36.81, -1.3]] } }] },
    },
  },
  { type: 'subject_update', data: { pad: 'x'.repeat(200) } }, // 16-bit frame length
  { type: 'subject_update', data: { pad: 'é'.repeat(40_000) } }, // 64-bit frame length (80 kB UTF-8)
  {},
]

const encoder = new Encoder()

// engine.io's Engine.IO v3 parser (allowEIO3), which its package exports do not name.
const require = createRequire(import.meta.url)
const { encodePacket: encodeV3 } = require(join(dirname(require.resolve('engine.io')), 'parser-v3/index.js')) as {
  encodePacket (packet: { type: string, data: string }, supportsBinary: boolean, callback: (encoded: string) => void): void
}

/** socket.io-parser's packet for `socket.emit(event, payload, ack)` on `nsp`, with the socket's keys appended. */
function socketIoPacket (nsp: string, id: number | undefined, event: string, payload: Record<string, unknown>, mid: number, traceId?: string): string {
  const data: Record<string, unknown> = { ...payload, mid }
  if (traceId !== undefined) data.trace_id = traceId
  const encoded = encoder.encode({ type: PacketType.EVENT, nsp, id, data: [event, data] })
  if (encoded.length !== 1 || typeof encoded[0] !== 'string') throw new Error('not a text packet')
  return encoded[0]
}

/** The payload of one unmasked WebSocket frame, checked to be a final text frame holding all of it. */
function frameText (t: Test, frame: Buffer): Buffer {
  t.equal(frame[0], 0x81, 'FIN, text')
  let length = frame[1]
  let offset = 2
  if (length === 126) {
    length = frame.readUInt16BE(2)
    offset = 4
  } else if (length === 127) {
    length = frame.readUInt32BE(2) * 2 ** 32 + frame.readUInt32BE(6)
    offset = 10
  }
  t.equal(frame.length, offset + length, 'the frame holds its payload exactly')
  t.equal(framePayloadBytes(frame), length)
  return frame.subarray(offset)
}

function engineV3 (packet: string): string {
  let out = ''
  encodeV3({ type: 'message', data: packet }, true, (encoded: string) => { out = encoded })
  return out
}

t.test('the spliced packet and frame are socket.io\'s own encoding', async (t) => {
  for (const [i, payload] of PAYLOADS.entries()) {
    const shared = new SharedPayload(payload)
    for (const nsp of ['/das', '/']) {
      for (const [ackId, traceId] of [[7, 'trace-AbC_d-1796289558.316123'], [undefined, undefined], [0, 'q"\\é']] as const) {
        const expected = socketIoPacket(nsp, ackId, 'subject_update', payload, 42, traceId)
        const tail = { mid: 42, traceId }
        t.equal(eventPacket(nsp, ackId, 'subject_update', shared, tail), expected, `payload ${i}, ${nsp}, ack ${ackId}: packet`)
        const text = frameText(t, eventFrame(nsp, ackId, 'subject_update', shared, tail))
        // Engine.IO v4 sends a message packet as `4` + the text; v3 (socket.io-client 2.x) the same.
        t.ok(text.equals(Buffer.from(`4${expected}`)), `payload ${i}, ${nsp}, ack ${ackId}: EIO=4 frame`)
        t.ok(text.equals(Buffer.from(engineV3(expected))), `payload ${i}, ${nsp}, ack ${ackId}: EIO=3 frame`)
      }
    }
  }
  t.equal(eventPacket('/das', 1, 'new "event"', new SharedPayload({ a: 1 }), { mid: 1 }), socketIoPacket('/das', 1, 'new "event"', { a: 1 }, 1), 'the event name is JSON-encoded')
})
