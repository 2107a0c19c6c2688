// The writer of the `ws-prebuilt` baseline (issue 21's second row): a publish builds its
// WebSocket frame — header and payload — once, and the same Buffer is written to every
// subscriber's socket, each socket corked on its first write of a tick and uncorked on the next
// turn of the event loop, so a burst of publishes leaves as few large writes.
import type { Socket } from 'node:net'

/** An unmasked, final text frame (RFC 6455 §5.2) carrying `text`. */
export function textFrame (text: string): Buffer {
  const payload = Buffer.from(text)
  const length = payload.length
  const header = length < 126 ? 2 : length < 65_536 ? 4 : 10
  const frame = Buffer.allocUnsafe(header + length)
  frame[0] = 0x81 // FIN + opcode 1 (text)
  if (length < 126) {
    frame[1] = length
  } else if (length < 65_536) {
    frame[1] = 126
    frame.writeUInt16BE(length, 2)
  } else {
    frame[1] = 127
    frame.writeBigUInt64BE(BigInt(length), 2)
  }
  payload.copy(frame, header)
  return frame
}

/** Writes frames to sockets, corking each socket once per tick. */
export class CorkedWriter {
  readonly #corked = new Set<Socket>()
  #scheduled = false

  write (socket: Socket, frame: Buffer): void {
    if (!socket.writable) return
    if (!this.#corked.has(socket)) {
      socket.cork()
      this.#corked.add(socket)
      if (!this.#scheduled) {
        this.#scheduled = true
        setImmediate(this.#uncork)
      }
    }
    socket.write(frame)
  }

  readonly #uncork = (): void => {
    this.#scheduled = false
    for (const socket of this.#corked) socket.uncork()
    this.#corked.clear()
  }
}
