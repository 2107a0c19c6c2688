import { randomBytes } from 'node:crypto'
import { connect, type Socket } from 'node:net'

/** A frame as the server wrote it (RFC 6455 §5.2). */
export interface ServerFrame {
  fin: boolean
  rsv: number
  opcode: number
  masked: boolean
  payload: Buffer
}

export interface ClientFrameOptions {
  fin?: boolean
  /** RSV bits, 0–7 (RSV1 is 4). */
  rsv?: number
  /** Unmasked frames are a protocol error from a client. */
  mask?: boolean
  /** A length field claiming more (or less) than the payload carries. */
  claimedLength?: number
  /** The masking key (random unless given; all zeros leaves the payload as it is). */
  maskKey?: Buffer
}

/** A client frame, masked unless told otherwise, its length field sized as RFC 6455 §5.2 says. */
export function clientFrame (opcode: number, payload: Buffer | string = Buffer.alloc(0), options: ClientFrameOptions = {}): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload) : payload
  const { fin = true, rsv = 0, mask = true, claimedLength = data.length, maskKey = randomBytes(4) } = options
  const lengthBytes = claimedLength < 126 ? 0 : claimedLength < 65536 ? 2 : 8
  const header = Buffer.alloc(2 + lengthBytes + (mask ? 4 : 0))
  header[0] = (fin ? 0x80 : 0) | (rsv << 4) | opcode
  header[1] = (mask ? 0x80 : 0) | (lengthBytes === 0 ? claimedLength : lengthBytes === 2 ? 126 : 127)
  if (lengthBytes === 2) header.writeUInt16BE(claimedLength, 2)
  if (lengthBytes === 8) {
    header.writeUInt32BE(Math.floor(claimedLength / 2 ** 32), 2)
    header.writeUInt32BE(claimedLength >>> 0, 6)
  }
  if (!mask) return Buffer.concat([header, data])
  maskKey.copy(header, 2 + lengthBytes)
  const masked = Buffer.from(data)
  for (let i = 0; i < masked.length; i++) masked[i] ^= maskKey[i & 3]
  return Buffer.concat([header, masked])
}

/** A close frame's payload: the code, then the reason's UTF-8. */
export function closePayload (code: number, reason = ''): Buffer {
  const payload = Buffer.alloc(2 + Buffer.byteLength(reason))
  payload.writeUInt16BE(code, 0)
  payload.write(reason, 2)
  return payload
}

/**
 * A WebSocket client on a bare TCP socket: the handshake by hand, then any bytes at all, so tests
 * can send what no WebSocket library would (bad opcodes, unmasked frames, a frame a byte at a time).
 */
export class RawWebSocket {
  readonly frames: ServerFrame[] = []
  #buffered = Buffer.alloc(0)
  #waiters: Array<() => void> = []
  ended = false
  closed = false

  private constructor (readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.#buffered = Buffer.concat([this.#buffered, chunk])
      this.#parse()
      this.#wake()
    })
    socket.on('end', () => { this.ended = true; this.#wake() })
    socket.on('close', () => { this.closed = true; this.#wake() })
    socket.on('error', () => {})
  }

  /** Opens `url` (ws://host:port/path); `after` is written in the same write as the handshake. */
  static async open (url: string, after: Buffer = Buffer.alloc(0)): Promise<RawWebSocket> {
    const { hostname, port, pathname } = new URL(url)
    const socket = connect(Number(port), hostname)
    socket.setNoDelay()
    const request = [
      `GET ${pathname} HTTP/1.1`, `Host: ${hostname}:${port}`, 'Upgrade: websocket', 'Connection: Upgrade',
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`, 'Sec-WebSocket-Version: 13', '', '',
    ].join('\r\n')
    socket.write(Buffer.concat([Buffer.from(request), after]))
    const head = await new Promise<Buffer>((resolve, reject) => {
      let got = Buffer.alloc(0)
      const timer = setTimeout(() => reject(new Error('no handshake answer in 5 s')), 5000)
      const onData = (chunk: Buffer): void => {
        got = Buffer.concat([got, chunk])
        const end = got.indexOf('\r\n\r\n')
        if (end < 0) return
        clearTimeout(timer)
        socket.removeListener('data', onData)
        const status = got.subarray(0, end).toString()
        if (!status.startsWith('HTTP/1.1 101')) return reject(new Error(status))
        resolve(got.subarray(end + 4))
      }
      socket.on('data', onData)
      socket.once('error', reject)
    })
    const raw = new RawWebSocket(socket)
    if (head.length > 0) socket.emit('data', head)
    return raw
  }

  write (bytes: Buffer): void {
    this.socket.write(bytes)
  }

  /** The next server frame, within `timeout` ms. */
  async next (timeout = 5000): Promise<ServerFrame> {
    await this.until(() => this.frames.length > 0 || this.closed, timeout, 'a frame')
    const frame = this.frames.shift()
    if (!frame) throw new Error('the socket closed without another frame')
    return frame
  }

  /** The next text frame's text, skipping nothing: a frame of another kind fails. */
  async nextText (timeout?: number): Promise<string> {
    const frame = await this.next(timeout)
    if (frame.opcode !== 1) throw new Error(`expected a text frame, got opcode ${frame.opcode}`)
    return frame.payload.toString()
  }

  /** The server's close frame: its code (1005 without one) and reason. */
  async nextClose (timeout?: number): Promise<{ code: number, reason: string }> {
    const frame = await this.next(timeout)
    if (frame.opcode !== 8) throw new Error(`expected a close frame, got opcode ${frame.opcode}: ${frame.payload.toString()}`)
    if (frame.payload.length === 0) return { code: 1005, reason: '' }
    return { code: frame.payload.readUInt16BE(0), reason: frame.payload.subarray(2).toString() }
  }

  /** Waits until the server closed the TCP connection. */
  async untilClosed (timeout = 5000): Promise<void> {
    await this.until(() => this.closed, timeout, 'the socket to close')
  }

  async until (done: () => boolean, timeout: number, what: string): Promise<void> {
    const deadline = Date.now() + timeout
    while (!done()) {
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`waited ${timeout} ms for ${what}`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        this.#waiters.push(() => { clearTimeout(timer); resolve() })
      })
    }
  }

  destroy (): void {
    this.socket.destroy()
  }

  #wake (): void {
    const waiters = this.#waiters
    this.#waiters = []
    for (const wake of waiters) wake()
  }

  #parse (): void {
    for (;;) {
      const b = this.#buffered
      if (b.length < 2) return
      const length7 = b[1] & 0x7f
      const masked = (b[1] & 0x80) !== 0
      const lengthBytes = length7 === 126 ? 2 : length7 === 127 ? 8 : 0
      const header = 2 + lengthBytes + (masked ? 4 : 0)
      if (b.length < header) return
      const length = lengthBytes === 2 ? b.readUInt16BE(2) : lengthBytes === 8 ? b.readUInt32BE(2) * 2 ** 32 + b.readUInt32BE(6) : length7
      if (b.length < header + length) return
      this.frames.push({
        fin: (b[0] & 0x80) !== 0,
        rsv: (b[0] >> 4) & 7,
        opcode: b[0] & 0x0f,
        masked,
        payload: Buffer.from(b.subarray(header, header + length)),
      })
      this.#buffered = b.subarray(header + length)
    }
  }
}
