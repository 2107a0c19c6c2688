import type { Count, CounterStore } from './counter-store.js'

/** One throttling rule: how many failures a key may have in a window. */
export interface FailureRule {
  /** Namespace of the rule's counters in the store. */
  name: string
  /** Failures allowed per window; 0 turns the rule off. */
  max: number
  windowMs: number
  /**
   * When set, reaching `max` blocks the key for this long, counted from the failure that
   * reached it (syscache's black-list), instead of until the failure window ends.
   */
  blockMs?: number
}

/**
 * A fixed-window failure budget per key (an address, an account) over a CounterStore: `fail`
 * counts a failed check, `failures` / `retryAfter` read the budget (the credential throttle adds
 * its own checks in flight; the black-list blocks after the fact).
 */
export class FailureLimit {
  constructor (private readonly store: CounterStore, readonly rule: FailureRule) {}

  get enabled (): boolean {
    return this.rule.max > 0
  }

  #counter (key: string): string {
    return `${this.rule.name}:${key}`
  }

  #block (key: string): string {
    return `${this.rule.name}:block:${key}`
  }

  /** The failures `key` has in its current window. Reads only. */
  failures (key: string): Promise<Count> {
    return this.store.read(this.#counter(key))
  }

  /** ms until `key` may try again; 0 = now. Reads only. */
  async retryAfter (key: string): Promise<number> {
    if (!this.enabled) return 0
    if (this.rule.blockMs !== undefined) return (await this.store.read(this.#block(key))).resetInMs
    const { count, resetInMs } = await this.store.read(this.#counter(key))
    return count >= this.rule.max ? resetInMs : 0
  }

  /** Counts a failure; answers the ms until `key` may try again, 0 while within the budget. */
  async fail (key: string): Promise<number> {
    if (!this.enabled) return 0
    const { count, resetInMs } = await this.store.increment(this.#counter(key), this.rule.windowMs)
    if (count < this.rule.max) return 0
    if (this.rule.blockMs === undefined) return Math.max(resetInMs, 1)
    const block = await this.store.increment(this.#block(key), this.rule.blockMs)
    // The block starts a new count: once it ends, the key has its whole budget again.
    await this.store.delete(this.#counter(key))
    return block.resetInMs
  }
}
