const NONE = Promise.resolve()

export interface OutboundPressureOptions {
  /** Bytes the node's sockets may hold unread before publishers wait (server.backlogLimit); 0 = never. */
  limit: number
  /** How often a congested node measures its backlog again (server.backlogRecheck). */
  recheck: number
  /**
   * The longest publishers wait (server.backlogMaxWait): past it they go on, so clients that
   * never read cannot hold every publisher back; what they then receive closes them as slow
   * consumers (server.sendBufferLimit).
   */
  maxWait: number
  /** Bytes the node's sockets hold unread now (the transport's figure). */
  measure: () => number
  /**
   * Called when `maxWait` has passed and the backlog is still high: whoever holds much of it
   * unread after seconds without new publishes is not reading, and is closed as a slow consumer.
   */
  stuck: () => void
}

/**
 * Admission control for the fan-out (issue 21). Past saturation, a node that kept accepting
 * publishes would queue their frames in every subscriber's socket faster than the clients read
 * them, until garbage collection took the process and delivery collapsed. Instead, once the bytes
 * its sockets hold unread pass `limit`, publishers wait — a client's publishes stop being read
 * (TCP slows it), the REST publish routes answer 503 with Retry-After — until the backlog is
 * back under half the limit, or `maxWait` has passed.
 */
export class OutboundPressure {
  #congested = false
  #relief: Promise<void> = NONE
  #release: () => void = () => {}
  #timer: NodeJS.Timeout | undefined
  #since = 0
  /** Times the node became congested (`switchboard_outbound_congestions_total`). */
  congestions = 0
  /** The backlog last measured, in bytes. */
  backlog = 0

  /** Bytes unread past which publishers wait (0 = never). */
  readonly limit: number

  constructor (private readonly options: OutboundPressureOptions) {
    this.limit = options.limit
  }

  get congested (): boolean {
    return this.#congested
  }

  /** Resolves once publishers may go on: at once unless congested. */
  relieved (): Promise<void> {
    return this.#relief
  }

  /**
   * The transport's figure after a flush: the bytes the sockets it wrote to still hold; or,
   * during a tick, the bytes written since the last flush, once they pass the limit by themselves.
   */
  observe (backlog: number): void {
    this.backlog = backlog
    if (this.#congested || this.options.limit === 0 || backlog <= this.options.limit) return
    this.#congested = true
    this.#since = Date.now()
    this.congestions++
    this.#relief = new Promise((resolve) => { this.#release = resolve })
    this.#timer = setInterval(() => this.#recheck(), this.options.recheck)
    this.#timer.unref()
  }

  /** Lets every waiting publisher go (shutdown). */
  close (): void {
    this.#relieve()
  }

  #recheck (): void {
    this.backlog = this.options.measure()
    if (this.backlog <= this.options.limit / 2) return this.#relieve()
    if (Date.now() - this.#since < this.options.maxWait) return
    this.options.stuck()
    this.#relieve()
  }

  #relieve (): void {
    clearInterval(this.#timer)
    this.#timer = undefined
    if (!this.#congested) return
    this.#congested = false
    this.#relief = NONE
    this.#release()
  }
}
