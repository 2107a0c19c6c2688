/**
 * Server frames (RFC 6455 §5.2): final, unmasked, built as one Buffer (header and payload) so a
 * frame is one write. The gateway negotiates no extension, so RSV bits are always clear.
 */

export const OPCODE = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const

/** The header's length for a payload of `length` bytes (the length field grows at 126 and 65536). */
function headerLength (length: number): number {
  return length < 126 ? 2 : length < 65536 ? 4 : 10
}

/**
 * A Buffer holding one final frame of `opcode` with a `length`-byte payload: its header written,
 * the payload left to fill from the returned offset.
 */
export function allocFrame (opcode: number, length: number): { frame: Buffer, offset: number } {
  const offset = headerLength(length)
  const frame = Buffer.allocUnsafe(offset + length)
  frame[0] = 0x80 | opcode
  if (length < 126) {
    frame[1] = length
  } else if (length < 65536) {
    frame[1] = 126
    frame.writeUInt16BE(length, 2)
  } else {
    frame[1] = 127
    frame.writeUInt32BE(Math.floor(length / 2 ** 32), 2)
    frame.writeUInt32BE(length >>> 0, 6)
  }
  return { frame, offset }
}

/** A final text frame for a `length`-byte payload, payload to fill from `offset` (DAS splices its own). */
export function allocTextFrame (length: number): { frame: Buffer, offset: number } {
  return allocFrame(OPCODE.text, length)
}

/** `payload` (bytes) as one frame of `opcode`. */
export function bytesFrame (opcode: number, payload: Buffer): Buffer {
  const { frame, offset } = allocFrame(opcode, payload.length)
  payload.copy(frame, offset)
  return frame
}

/** `text` (of `length` UTF-8 bytes) as one text frame, encoded straight into it (no intermediate Buffer). */
export function stringFrame (text: string, length = Buffer.byteLength(text)): Buffer {
  const { frame, offset } = allocFrame(OPCODE.text, length)
  frame.write(text, offset)
  return frame
}

/**
 * The last fan-out payload and its whole frame: a hub message reaches every local subscriber in
 * one loop, so one entry is enough for every socket after the first to write the same Buffer,
 * built once per message.
 */
let lastPayload: Buffer | undefined
let lastFrame: Buffer | undefined

/** `payload` as one final text frame, shared by every socket it is written to. */
export function textFrame (payload: Buffer): Buffer {
  if (payload === lastPayload) return lastFrame!
  lastFrame = bytesFrame(OPCODE.text, payload)
  lastPayload = payload
  return lastFrame
}

/**
 * Close codes an endpoint may put in a close frame (RFC 6455 §7.4.1–7.4.2): 1005, 1006 and 1015
 * only describe a closure locally, 1004 is reserved; 3000–4999 belong to libraries and
 * applications. The same rule judges a code a client sends (a bad one is a protocol error, 1002).
 */
export function isValidCloseCode (code: number): boolean {
  return (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) ||
    (code >= 3000 && code <= 4999)
}

/** The longest close reason: a control frame's payload is at most 125 bytes, two of them the code. */
export const MAX_CLOSE_REASON = 123

const EMPTY = Buffer.alloc(0)

/**
 * A close frame: without a code when `code` is undefined (the peer reads 1005), else the code and
 * the reason's UTF-8. A bad code or an over-long reason is the caller's bug, thrown as ws throws it.
 */
export function closeFrame (code?: number, reason: string | Buffer = EMPTY): Buffer {
  if (code === undefined) return bytesFrame(OPCODE.close, EMPTY)
  if (!isValidCloseCode(code)) throw new TypeError(`invalid close code ${code}`)
  const reasonLength = Buffer.byteLength(reason)
  if (reasonLength > MAX_CLOSE_REASON) throw new RangeError(`a close reason may hold ${MAX_CLOSE_REASON} bytes, not ${reasonLength}`)
  const { frame, offset } = allocFrame(OPCODE.close, 2 + reasonLength)
  frame.writeUInt16BE(code, offset)
  if (typeof reason === 'string') frame.write(reason, offset + 2)
  else reason.copy(frame, offset + 2)
  return frame
}
