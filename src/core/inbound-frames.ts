import type { Connection } from './connection.js'

// Frames waiting behind the one being handled before the socket stops being read, and the level
// at which reading resumes: a client sending faster than its session handles frames is slowed
// down by TCP (the server's memory and every other connection stay as they were) instead of
// being queued without bound.
export const QUEUE_HIGH = 256
const QUEUE_LOW = 64

/** What a queue needs of its connection: reading control, and the connection its close policy acts on. */
export type InboundConnection = Pick<Connection, 'pauseReading' | 'resumeReading' | 'close'>

/**
 * What a session's queue does with a client that sends more than it handles. Chosen by the
 * protocol; one object serves every session of a plugin instance.
 */
export type InboundPolicy =
  /** Stop reading the socket once `high` frames wait behind the one being handled; read again at `low`. */
  | { kind: 'pause', high: number, low: number }
  /**
   * More than `limit` frames and detached jobs in flight is the client's fault: the frame that
   * would exceed it is dropped and `overflow` (the protocol's close) is called, for each such frame.
   */
  | { kind: 'close', limit: number, overflow: (connection: InboundConnection) => void }

/** WebRocket and Telegraphy: a flooding client is slowed down by TCP, never closed. */
export const PAUSE_READING: InboundPolicy = { kind: 'pause', high: QUEUE_HIGH, low: QUEUE_LOW }

/**
 * Work a frame started that answers on its own (its reply carries the request id): handing it
 * back lets the next frame be handled at once, while the job keeps its frame's place in the
 * queue's count until it settles. The job answers its own failures; a rejection only ends it.
 */
export class Detached {
  constructor (readonly job: Promise<unknown>) {}
}

export type Handled = void | Detached

/**
 * What a queue hands its frames to: the session itself, not closures over it (two closures and
 * their contexts were ~200 bytes per idle connection: bench, idle memory per connection).
 */
export interface FrameSink {
  handleFrame (text: string): Handled | Promise<Handled>
  /** Called each time a frame or a detached job is done (a session's idle timer restarts on it). */
  frameSettled? (): void
  /**
   * Nothing waits, runs or is paused any more: the queue holds only what a new one would. A
   * session may drop it here and make one at its next frame, so an idle connection keeps no
   * queue (issue 21's idle memory: ~90 bytes per connection).
   */
  framesIdle? (): void
}

/**
 * A session's client frames, handled one at a time in arrival order. A frame whose handler
 * answers at once (returns nothing) is not awaited; the others are, before the next frame.
 */
export class InboundFrames {
  /** Null while none wait: most sessions are idle, and idle state is what a gateway holds most of. */
  #waiting: string[] | null = null
  #busy = false
  #paused = false
  /** Frames accepted and not yet handled, plus detached jobs not yet settled. */
  #pending = 0

  constructor (
    private readonly connection: InboundConnection,
    private readonly sink: FrameSink,
    private readonly policy: InboundPolicy,
  ) {}

  /** Frames waiting or being handled, and detached jobs still running. */
  get pending (): number {
    return this.#pending
  }

  /**
   * One frame from the client; the promise, when there is one, settles once the queue is drained
   * and rejects if a handler threw (the transport closes the connection on it).
   */
  receive (text: string): Promise<void> | undefined {
    const { policy } = this
    if (policy.kind === 'close' && this.#pending >= policy.limit) {
      policy.overflow(this.connection)
      return undefined
    }
    this.#pending++
    if (!this.#busy) return this.#drain(text)
    const waiting = this.#waiting ??= []
    waiting.push(text)
    if (policy.kind === 'pause' && waiting.length >= policy.high && !this.#paused) {
      this.#paused = true
      this.connection.pauseReading()
    }
    return undefined
  }

  /** The session is gone: frames still waiting are dropped (detached jobs finish on their own). */
  clear (): void {
    if (!this.#waiting) return
    this.#pending -= this.#waiting.length
    this.#waiting.length = 0
  }

  async #drain (first: string): Promise<void> {
    this.#busy = true
    let text: string | undefined = first
    try {
      while (text !== undefined) {
        let handled = this.sink.handleFrame(text)
        if (handled && !(handled instanceof Detached)) handled = await handled
        if (handled instanceof Detached) {
          const release = () => this.#release()
          handled.job.then(release, release)
        } else {
          this.#release()
        }
        text = this.#waiting?.shift()
        if (this.#paused && this.policy.kind === 'pause' && this.#waiting!.length <= this.policy.low) this.#resume()
      }
    } finally {
      this.#busy = false
      // A handler threw: its frame and those behind it are dropped with the connection.
      if (text !== undefined) {
        this.#pending -= 1 + (this.#waiting?.length ?? 0)
        if (this.#paused) this.#resume()
      }
      this.#waiting = null
      if (this.#pending === 0) this.sink.framesIdle?.()
    }
  }

  #resume (): void {
    this.#paused = false
    this.connection.resumeReading()
  }

  #release (): void {
    this.#pending--
    this.sink.frameSettled?.()
    // A detached job that settles last, after the drain ended, leaves the queue idle.
    if (this.#pending === 0 && !this.#busy) this.sink.framesIdle?.()
  }
}
