import type { Connection } from './connection.js'

// Frames waiting behind the one being handled before the socket stops being read, and the level
// at which reading resumes: a client sending faster than its session handles frames is slowed
// down by TCP (the server's memory and every other connection stay as they were) instead of
// being queued without bound.
export const QUEUE_HIGH = 256
const QUEUE_LOW = 64

/**
 * A session's client frames, handled one at a time in arrival order. A frame whose handler
 * answers at once (returns nothing) is not awaited; the others are, before the next frame.
 */
export class InboundFrames {
  /** Null while none wait: most sessions are idle, and idle state is what a gateway holds most of. */
  #waiting: string[] | null = null
  #busy = false
  #paused = false

  constructor (
    private readonly connection: Pick<Connection, 'pauseReading' | 'resumeReading'>,
    private readonly handle: (text: string) => Promise<void> | void,
  ) {}

  /** One frame from the client; the promise, when there is one, settles once the queue is drained. */
  receive (text: string): Promise<void> | undefined {
    if (!this.#busy) return this.#drain(text)
    const waiting = this.#waiting ??= []
    waiting.push(text)
    if (waiting.length >= QUEUE_HIGH && !this.#paused) {
      this.#paused = true
      this.connection.pauseReading()
    }
    return undefined
  }

  /** The session is gone: frames still waiting are dropped. */
  clear (): void {
    if (this.#waiting) this.#waiting.length = 0
  }

  async #drain (first: string): Promise<void> {
    this.#busy = true
    try {
      let text: string | undefined = first
      while (text !== undefined) {
        const handling = this.handle(text)
        if (handling) await handling
        text = this.#waiting?.shift()
        if (this.#paused && this.#waiting!.length <= QUEUE_LOW) {
          this.#paused = false
          this.connection.resumeReading()
        }
      }
    } finally {
      this.#busy = false
      this.#waiting = null
    }
  }
}
