/** What a dependency watch logs with (pino's shape). */
export interface HealthLogger {
  info (obj: object, msg?: string): void
  warn (obj: object, msg?: string): void
}

/**
 * Whether a dependency (Redis, the database) is reachable, as its clients report it: one
 * warning when the first client loses it, one info line when the last one has it back, and
 * nothing in between (issue 18: a Redis outage logged 417 lines a minute, one per reconnect
 * attempt and per request). Failures seen while the outage is known are not logged again.
 */
export class DependencyHealth {
  readonly #down = new Set<string>()
  #since = 0

  constructor (readonly dependency: string, readonly log: HealthLogger) {}

  get available (): boolean {
    return this.#down.size === 0
  }

  /** `client` (one of the dependency's connections) failed. */
  down (client: string, err: Error): void {
    if (this.#down.has(client)) return
    const first = this.#down.size === 0
    this.#down.add(client)
    if (first) {
      this.#since = Date.now()
      this.log.warn({ dependency: this.dependency, err: err.message }, `${this.dependency} unavailable`)
    }
  }

  /** `client` works again. */
  up (client: string): void {
    if (!this.#down.delete(client) || this.#down.size > 0) return
    this.log.info({ dependency: this.dependency, downMs: Date.now() - this.#since }, `${this.dependency} is back`)
  }

  /**
   * A failure of one operation (a publish, a throttle count): logged only when no outage is
   * known, since during one every operation fails the same way.
   */
  report (err: Error, msg: string): void {
    if (this.available) this.log.warn({ dependency: this.dependency, err: err.message }, msg)
  }
}
