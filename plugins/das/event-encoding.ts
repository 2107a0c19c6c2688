import { allocTextFrame } from '../../src/http/websocket/frames.js'

type Json = Record<string, unknown>

/**
 * A data event's payload encoded once for every socket that gets the same variant of a delivery
 * (same bbox verdict, same `track` visibility): the JSON of the object without its closing brace,
 * as text and as UTF-8. Each socket appends only its own `mid` and `trace_id`, which
 * `DasSession.deliver` would have added as the object's last keys; so the payload must have
 * neither key of its own (socket.io would overwrite it in place, not append it).
 *
 * No hasBinary walk: deliveries reach a node as JSON text from the hub (delivery-feed.ts), so a
 * payload holds no Buffer, and socket.io would encode it as this JSON text too.
 */
export class SharedPayload {
  /** `{"type":…,"data":{…}` — the JSON object minus its final `}`. */
  readonly head: string
  readonly headBytes: Buffer
  /** The object has no key: the per-socket keys follow `{` without a comma. */
  readonly empty: boolean

  constructor (payload: Json) {
    const json = JSON.stringify(payload)
    this.empty = json === '{}'
    this.head = json.slice(0, -1)
    this.headBytes = Buffer.from(this.head)
  }
}

/** What one socket adds to a shared payload: its per-type `mid` and, when traced, its `trace_id`. */
export interface EventTail {
  mid: number
  traceId?: string
}

// A fan-out writes one event type on one namespace to every socket: its encoded name and the
// packet's start are kept for the next socket.
let lastEvent = ''
let lastEventJson = '""'
let lastNsp = ''
let lastStart = '2'

function eventName (event: string): string {
  if (event !== lastEvent) {
    lastEventJson = JSON.stringify(event)
    lastEvent = event
  }
  return lastEventJson
}

function eventStart (nsp: string): string {
  if (nsp !== lastNsp) {
    lastStart = nsp !== '/' ? `2${nsp},` : '2'
    lastNsp = nsp
  }
  return lastStart
}

/**
 * The Socket.IO EVENT packet (`2<nsp>,<ack id>[<event>,<payload>]`) exactly as socket.io-parser's
 * `encodeAsString` writes it for `socket.emit(event, payload, ack)`, before the payload and after it.
 */
function packetParts (nsp: string, ackId: number | undefined, event: string, shared: SharedPayload, tail: EventTail): [string, string] {
  const prefix = `${eventStart(nsp)}${ackId ?? ''}[${eventName(event)},`
  let suffix = `${shared.empty ? '' : ','}"mid":${tail.mid}`
  if (tail.traceId !== undefined) suffix += `,"trace_id":${JSON.stringify(tail.traceId)}`
  return [prefix, `${suffix}}]`]
}

/** The Socket.IO packet as text, for `engine.io`'s `Socket#write` (long-polling, a busy connection). */
export function eventPacket (nsp: string, ackId: number | undefined, event: string, shared: SharedPayload, tail: EventTail): string {
  const [prefix, suffix] = packetParts(nsp, ackId, event, shared, tail)
  return prefix + shared.head + suffix
}

/**
 * The same packet as engine.io's WebSocket transport sends it, as the whole WebSocket frame:
 * an Engine.IO `message` packet (type `4`, the same for EIO=3 and EIO=4 text) in one final
 * unmasked text frame. Only the prefix and suffix are encoded per socket; the shared part is copied.
 */
export function eventFrame (nsp: string, ackId: number | undefined, event: string, shared: SharedPayload, tail: EventTail): Buffer {
  const [prefix, suffix] = packetParts(nsp, ackId, event, shared, tail)
  const head = `4${prefix}`
  const headLength = Buffer.byteLength(head)
  const suffixLength = Buffer.byteLength(suffix)
  const { frame, offset } = allocTextFrame(headLength + shared.headBytes.length + suffixLength)
  let at = offset + frame.write(head, offset)
  at += shared.headBytes.copy(frame, at)
  frame.write(suffix, at)
  return frame
}

/** The Engine.IO packet's bytes in a frame from `eventFrame` (what the traffic figures count). */
export function framePayloadBytes (frame: Buffer): number {
  const length = frame[1]
  return frame.length - (length < 126 ? 2 : length === 126 ? 4 : 10)
}
