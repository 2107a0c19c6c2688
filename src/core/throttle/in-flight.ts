/**
 * This process's checks in flight per key, and the attempts waiting for one of them to end.
 *
 * The throttle admits a check while the key's recorded failures plus its checks running here
 * stay within the budget. An attempt that finds the budget taken by running checks waits for
 * one to end and looks again instead of being refused for being concurrent: a burst of right
 * credentials (twenty dashboard tabs reconnecting after a restart) is checked in turns. Each
 * ending wakes one waiter, which either takes the freed place or, once nothing is in flight, is
 * refused and wakes the next: no herd of store reads.
 */
export class InFlight {
  readonly #keys = new Map<string, { running: number, waiting: Array<() => void> }>()

  running (key: string): number {
    return this.#keys.get(key)?.running ?? 0
  }

  start (key: string): void {
    const entry = this.#keys.get(key)
    if (entry) entry.running++
    else this.#keys.set(key, { running: 1, waiting: [] })
  }

  end (key: string): void {
    const entry = this.#keys.get(key)
    if (!entry) return
    entry.running--
    this.wakeNext(key)
  }

  /** Resolves when a check of `key` ends (or a waiter before this one gives up its turn). */
  async ended (key: string): Promise<void> {
    let entry = this.#keys.get(key)
    if (!entry) this.#keys.set(key, entry = { running: 0, waiting: [] })
    const queued = entry
    await new Promise<void>((resolve) => queued.waiting.push(resolve))
  }

  /** Passes the turn on; forgets a key with nothing running and nobody waiting. */
  wakeNext (key: string): void {
    const entry = this.#keys.get(key)
    if (!entry) return
    const next = entry.waiting.shift()
    if (next) next()
    else if (entry.running === 0) this.#keys.delete(key)
  }

  /** Keys still tracked (tests: nothing stays behind). */
  get size (): number {
    return this.#keys.size
  }
}
