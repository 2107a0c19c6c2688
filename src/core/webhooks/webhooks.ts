import { postSigned } from '../backend/signature.js'
import type { ConnectionObserver } from '../connection-registry.js'
import { DependencyHealth, type HealthLogger } from '../dependency-health.js'
import { backoffDelay } from './backoff.js'
import { EventQueue } from './event-queue.js'
import { lifecycleObserver, type WebhookEvent } from './events.js'

export interface WebhooksOptions {
  url: string
  /** Signs each batch (signature.ts); null: unsigned. */
  secret: string | null
  /** This node's name in every event. */
  node: string
  batchSize: number
  flushIntervalMs: number
  queueLimit: number
  timeoutMs: number
  retry: { attempts: number, minDelayMs: number, maxDelayMs: number }
  /** One warning when the receiver stops answering, one line when it is back. */
  log: HealthLogger
  /** The delivery loop itself failed (a bug): logged, and the loop goes on. */
  onError?: (err: unknown) => void
  random?: () => number
}

/** Events by outcome, for the metrics. */
export interface WebhookCounts {
  /** The receiver answered 2xx to their batch. */
  delivered: number
  /** Pushed out of a full queue, or still queued when the shutdown flush ran out of time. */
  dropped: number
  /** Their batch failed every one of `retry.attempts` tries. */
  failed: number
}

type Wait = 'event' | 'batch' | 'retry'

/**
 * Lifecycle webhooks (README "Webhooks"): `observer` turns connection events into webhook events
 * and only queues them; one loop POSTs them to the receiver in batches of at most `batchSize`
 * (a partial batch once `flushInterval` has passed since the loop started waiting for it), one
 * request at a time so a receiver sees them in order, each batch tried up to `retry.attempts`
 * times with backoff. Nothing on a connection's path waits for the receiver.
 */
export class Webhooks {
  readonly observer: ConnectionObserver
  readonly counts: WebhookCounts = { delivered: 0, dropped: 0, failed: 0 }
  readonly #options: WebhooksOptions
  readonly #queue: EventQueue<WebhookEvent>
  readonly #health: DependencyHealth
  /** Fires when the shutdown flush runs out of time: the POST in flight is abandoned. */
  readonly #stop = new AbortController()
  readonly #running: Promise<void>
  #closing = false
  /** The loop has ended (closed): nothing will send what is queued now. */
  #ended = false
  #waiting: Wait | null = null
  #wake: (() => void) | null = null

  constructor (options: WebhooksOptions) {
    this.#options = options
    this.#queue = new EventQueue(options.queueLimit)
    this.#health = new DependencyHealth('webhook receiver', options.log)
    this.observer = lifecycleObserver(options.node, (event) => this.enqueue(event))
    this.#running = this.#run()
  }

  /** Events waiting to be sent (not counting a batch in flight). */
  get queued (): number {
    return this.#queue.size
  }

  enqueue (event: WebhookEvent): void {
    if (this.#ended || this.#stop.signal.aborted) {
      this.counts.dropped++
      return
    }
    if (this.#queue.push(event)) this.counts.dropped++
    if (this.#waiting === 'event' || (this.#waiting === 'batch' && this.#queue.size >= this.#options.batchSize)) this.#wake?.()
  }

  /**
   * Sends what is queued (and what arrives meanwhile) without waiting for `flushInterval`,
   * within `graceMs`; what is left then is dropped, a POST in flight included. Resolves once
   * the loop has ended; events queued after that are dropped.
   */
  async close (graceMs: number): Promise<void> {
    this.#closing = true
    if (this.#waiting !== 'retry') this.#wake?.()
    const deadline = setTimeout(() => {
      this.#stop.abort()
      this.#wake?.()
    }, graceMs)
    await this.#running
    clearTimeout(deadline)
  }

  async #run (): Promise<void> {
    const { batchSize, flushIntervalMs } = this.#options
    for (;;) {
      try {
        if (this.#stop.signal.aborted) {
          this.counts.dropped += this.#queue.clear()
          this.#ended = true
          return
        }
        if (this.#queue.size === 0) {
          if (this.#closing) {
            this.#ended = true
            return
          }
          await this.#sleep('event', null)
          continue
        }
        if (this.#queue.size < batchSize && !this.#closing) await this.#sleep('batch', flushIntervalMs)
        if (this.#stop.signal.aborted) continue
        await this.#deliver(this.#queue.take(batchSize))
      } catch (err) {
        this.#options.onError?.(err)
        // Not at once: a failure that repeats must not spin.
        await this.#sleep('retry', this.#options.retry.minDelayMs)
      }
    }
  }

  /** One batch, tried until the receiver takes it, the tries run out, or the flush time does. */
  async #deliver (events: WebhookEvent[]): Promise<void> {
    const { retry } = this.#options
    for (let attempt = 1; ; attempt++) {
      const failure = await this.#post(events)
      if (failure === null) {
        this.counts.delivered += events.length
        this.#health.up('receiver')
        return
      }
      if (this.#stop.signal.aborted) {
        this.counts.dropped += events.length
        return
      }
      this.#health.down('receiver', new Error(failure))
      if (attempt >= retry.attempts) {
        this.counts.failed += events.length
        return
      }
      await this.#sleep('retry', backoffDelay(attempt, retry, this.#options.random))
      if (this.#stop.signal.aborted) {
        this.counts.dropped += events.length
        return
      }
    }
  }

  /** null when the receiver took the batch (2xx), else why not. */
  async #post (events: WebhookEvent[]): Promise<string | null> {
    const { url, secret, timeoutMs } = this.#options
    let response: Response
    try {
      response = await postSigned(url, { events }, secret, timeoutMs, this.#stop.signal)
    } catch (err) {
      if ((err as Error).name === 'TimeoutError') return 'timeout'
      // fetch says "fetch failed"; what failed (ECONNREFUSED, …) is its cause.
      const cause = (err as Error).cause as Error | undefined
      return `unreachable: ${cause?.message ?? (err as Error).message}`
    }
    // Read to the end so the connection can be reused; what it says does not matter.
    await response.arrayBuffer().catch(() => {})
    return response.ok ? null : `status ${response.status}`
  }

  /** Waits `ms` (null: until woken) or until woken by what the wait is for. */
  #sleep (waiting: Wait, ms: number | null): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer)
        this.#waiting = null
        this.#wake = null
        resolve()
      }
      // Unreferenced: a pending flush or retry never keeps the process alive on its own.
      const timer = ms === null ? undefined : setTimeout(done, ms).unref()
      this.#waiting = waiting
      this.#wake = done
    })
  }
}
