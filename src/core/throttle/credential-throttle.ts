import { SwitchboardError } from '../errors.js'
import { addressKey } from './address-key.js'
import type { CounterStore } from './counter-store.js'
import { FailureLimit } from './failure-limit.js'

/** `auth.throttle` in the config. */
export interface ThrottleConfig {
  window: number
  maxFailuresPerAccount: number
  maxFailuresPerAddress: number
}

/** Who is trying: the client's address, and the account it names when it names one. */
export interface Attempt {
  address: string
  /** A namespaced account (`user:alice`, `webrocket:/echo:joe`); absent for bare tokens and keys. */
  account?: string
}

/** The outcome of a guarded credential check. */
export type Verdict<T> =
  | { ok: true, value: T }
  | { ok: false, reason: 'denied' }
  /** `throttled`: too many failures; `busy`: password hashing is at its cap (nothing was checked). */
  | { ok: false, reason: 'throttled' | 'busy', retryAfterMs: number }

const isBusy = (err: unknown) => err instanceof SwitchboardError && err.code === 'BUSY'

/**
 * The one throttling policy of every credential check, REST and in-socket, on every node
 * (the counters live in the CounterStore: Redis when configured):
 *
 * - per address: at most `maxFailuresPerAddress` failed checks per `window`;
 * - per account: at most `maxFailuresPerAccount` failed checks per `window`, from any address
 *   (a password spray from many addresses is still bounded).
 *
 * Successes do not count. An attempt is counted before its check and refunded when it
 * succeeds, so a burst of concurrent guesses cannot all be checked before the first failure is
 * recorded. A throttled attempt is refused without being checked: its credentials, even the
 * right ones, are not looked at, so guessing gains nothing while throttled.
 *
 * When the store is unreachable the throttle fails open (the check runs uncounted, the error
 * is reported): an outage of Redis must not lock every user out; password hashing stays
 * bounded per process (passwords.ts) whatever the store does.
 */
export class CredentialThrottle {
  readonly #account: FailureLimit
  readonly #address: FailureLimit

  constructor (store: CounterStore, config: ThrottleConfig, private readonly onStoreError: (err: unknown) => void = () => {}) {
    this.#account = new FailureLimit(store, { name: 'account', max: config.maxFailuresPerAccount, windowMs: config.window })
    this.#address = new FailureLimit(store, { name: 'address', max: config.maxFailuresPerAddress, windowMs: config.window })
  }

  #limits (attempt: Attempt): Array<[FailureLimit, string]> {
    const limits: Array<[FailureLimit, string]> = [[this.#address, addressKey(attempt.address)]]
    if (attempt.account !== undefined) limits.push([this.#account, attempt.account])
    return limits
  }

  async #refund (limits: Array<[FailureLimit, string]>): Promise<void> {
    try {
      await Promise.all(limits.map(([limit, key]) => limit.refund(key)))
    } catch (err) {
      this.onStoreError(err)
    }
  }

  /** Runs `check` unless the attempt is throttled; a null/false result is a failure and counts. */
  async guard<T> (attempt: Attempt, check: () => Promise<T | null | false>): Promise<Verdict<T>> {
    const limits = this.#limits(attempt)
    let counted = true
    try {
      const waits = await Promise.all(limits.map(([limit, key]) => limit.reserve(key)))
      const retryAfterMs = Math.max(...waits)
      if (retryAfterMs > 0) {
        await this.#refund(limits)
        return { ok: false, reason: 'throttled', retryAfterMs }
      }
    } catch (err) {
      this.onStoreError(err)
      counted = false
    }
    let value: T | null | false
    try {
      value = await check()
    } catch (err) {
      if (counted) await this.#refund(limits)
      if (isBusy(err)) return { ok: false, reason: 'busy', retryAfterMs: (err as SwitchboardError).retryAfterMs ?? 1000 }
      throw err
    }
    if (value === null || value === false) return { ok: false, reason: 'denied' }
    if (counted) await this.#refund(limits)
    return { ok: true, value }
  }
}
