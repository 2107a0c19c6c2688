/**
 * At most `concurrency` tasks at a time and at most `queue` more waiting, first come first
 * served; past that a task is refused at once instead of waiting without bound (a flood of
 * work must cost the flood, not everyone's latency).
 */
export class ConcurrencyGate {
  #running = 0
  readonly #waiting: Array<() => void> = []

  constructor (private concurrency: number, private queue: number) {}

  /** Changes the caps; tasks already admitted keep their place. */
  resize (concurrency: number, queue: number): void {
    this.concurrency = concurrency
    this.queue = queue
    while (this.#running < this.concurrency && this.#waiting.length > 0) this.#start()
  }

  get running (): number {
    return this.#running
  }

  get waiting (): number {
    return this.#waiting.length
  }

  /** The task's promise, or null when the gate is full (the task is not run). */
  run<T> (task: () => Promise<T>): Promise<T> | null {
    if (this.#running >= this.concurrency && this.#waiting.length >= this.queue) return null
    let admitted: Promise<void>
    if (this.#running < this.concurrency) {
      this.#running++
      admitted = Promise.resolve()
    } else {
      admitted = new Promise<void>((resolve) => this.#waiting.push(resolve))
    }
    return admitted.then(task).finally(() => this.#done())
  }

  #start (): void {
    this.#running++
    this.#waiting.shift()!()
  }

  #done (): void {
    this.#running--
    if (this.#waiting.length > 0 && this.#running < this.concurrency) this.#start()
  }
}
