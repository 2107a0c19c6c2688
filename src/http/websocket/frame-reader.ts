import { isUtf8 } from 'node:buffer'
import { EventEmitter } from 'node:events'
import { OPCODE, isValidCloseCode } from './frames.js'

/**
 * A frame the server refuses, with the close code it answers with (RFC 6455 §7.4.1): 1002 for
 * a protocol error, 1007 for text that is not UTF-8, 1008 for too many fragments, 1009 for a
 * message past maxPayload. The messages are ws's, so logs read as they did.
 */
export class FrameError extends RangeError {
  constructor (message: string, readonly closeCode: number) {
    super(`Invalid WebSocket frame: ${message}`)
  }
}

/** Limits every socket of a server shares (ws's server options object: one per server). */
export interface FrameLimits {
  /** Bytes a message may hold, its fragments together; 0 is no limit. */
  maxPayload: number
  /** Frames a fragmented message may arrive in; 0 is no limit. */
  maxFragments: number
}

const EMPTY = Buffer.alloc(0)
// The largest length JavaScript counts exactly: the high word of a 64-bit length must stay below 2^21.
const MAX_HIGH_WORD = 2 ** 21 - 1
// A partial frame's first Buffer holds at least this much (a header is at most 14 bytes).
const MIN_PARTIAL = 256

/**
 * Reads client frames (RFC 6455 §5) off a TCP socket's chunks, as ws's Receiver does, but as a
 * few fields of the socket object itself rather than a Writable stream and its state per
 * connection (issue 21: idle connections are what a gateway holds most of).
 *
 * Frames are read synchronously as chunks arrive; whole frames in a chunk are read in place. A
 * frame split across chunks is gathered in one Buffer that grows by doubling as its bytes
 * arrive, up to the frame's size: at most twice what the peer has sent, or 256 bytes (a header
 * claiming maxPayload costs what came with it, not maxPayload), and a frame trickling in a
 * byte at a time is copied a few times over, not once per chunk.
 */
export abstract class FrameReader extends EventEmitter {
  /** The start of a frame not yet whole, its bytes so far, and how many it needs: its header, or all of it once the header is known. */
  #partial: Buffer | null = null
  #partialBytes = 0
  #partialNeeds = 0
  /** A fragmented message's payloads so far, its opcode, its bytes. */
  #fragments: Buffer[] | null = null
  #fragmentOpcode = 0
  #fragmentBytes = 0
  /** Cleared by a close frame or a refused frame: nothing after either is read. */
  #reading = true

  protected abstract get frameLimits (): FrameLimits
  /** A whole message: text (checked UTF-8) or binary. */
  protected abstract messageRead (data: Buffer, isBinary: boolean): void
  /** A close frame: its code (1005 when it had none) and reason. Nothing more is read. */
  protected abstract closeRead (code: number, reason: Buffer): void
  protected abstract pingRead (data: Buffer): void
  protected abstract pongRead (data: Buffer): void
  /** A frame broke RFC 6455 or a limit. Nothing more is read. */
  protected abstract frameRefused (error: FrameError): void

  /** Whether frames are still read (no close frame and no refused frame yet). */
  protected get reading (): boolean {
    return this.#reading
  }

  /** Reads every whole frame `chunk` completes or holds; keeps the start of an unfinished one. */
  readChunk (chunk: Buffer): void {
    let offset = 0
    while (this.#partial !== null) {
      const take = Math.min(this.#partialNeeds - this.#partialBytes, chunk.length - offset)
      const partial = this.#room(this.#partialBytes + take)
      chunk.copy(partial, this.#partialBytes, offset, offset + take)
      this.#partialBytes += take
      offset += take
      if (this.#partialBytes < this.#partialNeeds) return
      this.#partial = null
      // A whole header makes a Buffer for the whole frame (and the loop fills it); a whole frame is read.
      this.#readFrame(partial, 0)
    }
    while (this.#reading && offset < chunk.length) {
      const end = this.#readFrame(chunk, offset)
      if (end < 0) return
      offset = end
    }
  }

  /**
   * Reads the frame at `offset`: returns the offset after it, or -1 when `buffer` holds only its
   * start (kept in #partial) or it was refused.
   */
  #readFrame (buffer: Buffer, offset: number): number {
    const available = buffer.length - offset
    if (available < 2) return this.#keep(buffer, offset, 2)
    const first = buffer[offset]
    const second = buffer[offset + 1]
    const fin = (first & 0x80) !== 0
    const opcode = first & 0x0f
    // No extension is negotiated (src/app.ts), so no RSV bit may be set.
    if ((first & 0x30) !== 0) return this.#refuse('RSV2 and RSV3 must be clear', 1002)
    if ((first & 0x40) !== 0) return this.#refuse('RSV1 must be clear', 1002)
    const length7 = second & 0x7f
    if (opcode === OPCODE.continuation) {
      if (this.#fragmentOpcode === 0) return this.#refuse('invalid opcode 0', 1002)
    } else if (opcode === OPCODE.text || opcode === OPCODE.binary) {
      if (this.#fragmentOpcode !== 0) return this.#refuse(`invalid opcode ${opcode}`, 1002)
    } else if (opcode === OPCODE.close || opcode === OPCODE.ping || opcode === OPCODE.pong) {
      if (!fin) return this.#refuse('FIN must be set', 1002)
      if (length7 > 125 || (opcode === OPCODE.close && length7 === 1)) return this.#refuse(`invalid payload length ${length7}`, 1002)
    } else {
      return this.#refuse(`invalid opcode ${opcode}`, 1002)
    }
    // Every client frame is masked (RFC 6455 §5.1).
    if ((second & 0x80) === 0) return this.#refuse('MASK must be set', 1002)

    const lengthBytes = length7 === 126 ? 2 : length7 === 127 ? 8 : 0
    const headerLength = 2 + lengthBytes + 4
    if (available < headerLength) return this.#keep(buffer, offset, headerLength)
    let length = length7
    if (lengthBytes === 2) {
      length = buffer.readUInt16BE(offset + 2)
    } else if (lengthBytes === 8) {
      const high = buffer.readUInt32BE(offset + 2)
      if (high > MAX_HIGH_WORD) return this.#refuse('payload length > 2^53 - 1', 1009)
      length = high * 2 ** 32 + buffer.readUInt32BE(offset + 6)
    }
    const limits = this.frameLimits
    if (opcode < OPCODE.close && length > 0 && limits.maxPayload > 0 && this.#fragmentBytes + length > limits.maxPayload) {
      return this.#refuse('Max payload size exceeded', 1009)
    }
    const frameLength = headerLength + length
    if (available < frameLength) return this.#keep(buffer, offset, frameLength)

    const payload = buffer.subarray(offset + headerLength, offset + frameLength)
    unmask(payload, buffer, offset + headerLength - 4)
    if (opcode >= OPCODE.close) this.#control(opcode, payload)
    else this.#data(opcode, fin, payload, limits)
    return this.#reading ? offset + frameLength : -1
  }

  /** Keeps a frame's start until `needed` bytes of it are here: -1, nothing more in this Buffer. */
  #keep (buffer: Buffer, offset: number, needed: number): number {
    const partial = Buffer.allocUnsafe(Math.min(needed, Math.max(buffer.length - offset, MIN_PARTIAL)))
    this.#partialBytes = buffer.copy(partial, 0, offset)
    this.#partialNeeds = needed
    this.#partial = partial
    return -1
  }

  /** The partial frame's Buffer with room for `bytes`: doubled (up to what the frame needs) when short. */
  #room (bytes: number): Buffer {
    const partial = this.#partial!
    if (partial.length >= bytes) return partial
    const grown = Buffer.allocUnsafe(Math.min(this.#partialNeeds, Math.max(bytes, partial.length * 2)))
    partial.copy(grown, 0, 0, this.#partialBytes)
    this.#partial = grown
    return grown
  }

  #data (opcode: number, fin: boolean, payload: Buffer, limits: FrameLimits): void {
    if (!fin || this.#fragmentOpcode !== 0) {
      this.#fragments ??= []
      if (limits.maxFragments > 0 && this.#fragments.length >= limits.maxFragments) {
        this.#refuse('Too many message fragments', 1008)
        return
      }
      if (this.#fragmentOpcode === 0) this.#fragmentOpcode = opcode
      if (payload.length > 0) this.#fragments.push(payload)
      this.#fragmentBytes += payload.length
      if (!fin) return
      opcode = this.#fragmentOpcode
      payload = Buffer.concat(this.#fragments, this.#fragmentBytes)
      this.#fragments = null
      this.#fragmentOpcode = 0
      this.#fragmentBytes = 0
    }
    if (opcode === OPCODE.text && !isUtf8(payload)) {
      this.#refuse('invalid UTF-8 sequence', 1007)
      return
    }
    this.messageRead(payload, opcode === OPCODE.binary)
  }

  #control (opcode: number, payload: Buffer): void {
    if (opcode === OPCODE.ping) return this.pingRead(payload)
    if (opcode === OPCODE.pong) return this.pongRead(payload)
    if (payload.length === 0) {
      this.#stopReading()
      return this.closeRead(1005, EMPTY)
    }
    const code = payload.readUInt16BE(0)
    if (!isValidCloseCode(code)) {
      this.#refuse(`invalid status code ${code}`, 1002)
      return
    }
    const reason = payload.subarray(2)
    if (!isUtf8(reason)) {
      this.#refuse('invalid UTF-8 sequence', 1007)
      return
    }
    this.#stopReading()
    // A copy: the reason must not keep the socket's chunk alive.
    this.closeRead(code, Buffer.from(reason))
  }

  #refuse (message: string, closeCode: number): -1 {
    this.#stopReading()
    this.frameRefused(new FrameError(message, closeCode))
    return -1
  }

  #stopReading (): void {
    this.#reading = false
    this.#partial = null
    this.#fragments = null
  }
}

/** XORs a client payload with its 4-byte mask (RFC 6455 §5.3), in place. */
function unmask (payload: Buffer, buffer: Buffer, maskAt: number): void {
  const m0 = buffer[maskAt]
  const m1 = buffer[maskAt + 1]
  const m2 = buffer[maskAt + 2]
  const m3 = buffer[maskAt + 3]
  if ((m0 | m1 | m2 | m3) === 0) return
  const length = payload.length
  let i = 0
  for (; i + 3 < length; i += 4) {
    payload[i] ^= m0
    payload[i + 1] ^= m1
    payload[i + 2] ^= m2
    payload[i + 3] ^= m3
  }
  if (i < length) payload[i] ^= m0
  if (i + 1 < length) payload[i + 1] ^= m1
  if (i + 2 < length) payload[i + 2] ^= m2
}
