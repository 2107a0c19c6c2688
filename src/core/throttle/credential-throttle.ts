import { SwitchboardError } from '../errors.js'
import { addressKey } from './address-key.js'
import type { CounterStore } from './counter-store.js'
import { FailureLimit } from './failure-limit.js'
import { InFlight } from './in-flight.js'

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
  /** Where the check happens, as the metrics label it: a protocol's socket, or `http` (REST; the default). */
  protocol?: string
}

/** Outcomes of the credential checks of one protocol (`switchboard_auth_total{result}`). */
export interface AuthOutcomes {
  success: number
  failure: number
  /** Refused unchecked: too many failures, or password hashing at its cap (busy). */
  throttled: number
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
 * (the failure counters live in the CounterStore: Redis when configured):
 *
 * - per address: at most `maxFailuresPerAddress` failed checks per `window`;
 * - per account: at most `maxFailuresPerAccount` failed checks per `window`, from any address
 *   (a password spray from many addresses is still bounded).
 *
 * Successes do not count. A node admits a check only while the key's failures plus the checks
 * of the key already running on this node stay under the budget, so a burst of concurrent
 * guesses cannot all be checked before the first failure is recorded: at most a budget per node
 * is in flight at once. Being concurrent is not failing, though: an attempt that finds the budget
 * taken by checks still running here waits for one to end and looks again (InFlight), so a burst
 * of right credentials all get in, in turns; only failures recorded in the shared store refuse,
 * so checks running on another node never refuse an attempt here (1,000 dashboards of one
 * account reconnecting to two nodes at once). A throttled attempt is refused without being
 * checked: its credentials, even the right ones, are not looked at, so guessing gains nothing
 * while throttled.
 *
 * When the store is unreachable the throttle fails open (the check runs uncounted, the error
 * is reported): an outage of Redis must not lock every user out; password hashing stays
 * bounded per process (passwords.ts) whatever the store does.
 */
export class CredentialThrottle {
  readonly #account: FailureLimit
  readonly #address: FailureLimit
  readonly #inFlight = new InFlight()
  /** Outcomes by protocol, counted in place; the metrics read them at scrape time. */
  readonly outcomes = new Map<string, AuthOutcomes>()

  constructor (store: CounterStore, config: ThrottleConfig, private readonly onStoreError: (err: unknown) => void = () => {}) {
    this.#account = new FailureLimit(store, { name: 'account', max: config.maxFailuresPerAccount, windowMs: config.window })
    this.#address = new FailureLimit(store, { name: 'address', max: config.maxFailuresPerAddress, windowMs: config.window })
  }

  /** Keys with checks in flight or attempts waiting here (tests: nothing stays behind). */
  get pending (): number {
    return this.#inFlight.size
  }

  #limits (attempt: Attempt): Limit[] {
    const limits: Limit[] = [{ limit: this.#address, key: addressKey(attempt.address) }]
    if (attempt.account !== undefined) limits.push({ limit: this.#account, key: attempt.account })
    return limits.filter(({ limit }) => limit.enabled)
  }

  async #fail (limits: Limit[]): Promise<void> {
    try {
      await Promise.all(limits.map(({ limit, key }) => limit.fail(key)))
    } catch (err) {
      this.onStoreError(err)
    }
  }

  /**
   * Takes a place in every key's budget: null once the attempt is in (and running), else the ms
   * until it may try again. Store errors propagate (the caller fails open, uncounted).
   */
  async #admit (limits: Limit[]): Promise<number | null> {
    const names = limits.map(track)
    let wokenOn: string | undefined
    try {
      for (;;) {
        const failures = await Promise.all(limits.map(({ limit, key }) => limit.failures(key)))
        // Decided and taken in one turn after the read: no other attempt here runs in between.
        const full = limits.flatMap(({ limit }, i) => failures[i]!.count + this.#inFlight.running(names[i]!) >= limit.rule.max ? [i] : [])
        if (full.length === 0) {
          for (const name of names) this.#inFlight.start(name)
          wokenOn = undefined // the freed place is taken
          return null
        }
        // Spent by failures alone: refused. Taken by checks running here: wait for one to end.
        const spent = full.filter((i) => this.#inFlight.running(names[i]!) === 0)
        if (spent.length > 0) return Math.max(1, ...spent.map((i) => failures[i]!.resetInMs))
        const busy = names[full[0]!]!
        // Re-waiting on the key that woke us keeps its turn: passing it on would wake the
        // next waiter only to send it back, over and over, while the checks run.
        if (wokenOn !== undefined && wokenOn !== busy) this.#inFlight.wakeNext(wokenOn)
        await this.#inFlight.ended(busy)
        wokenOn = busy
      }
    } finally {
      if (wokenOn !== undefined) this.#inFlight.wakeNext(wokenOn)
    }
  }

  /** Runs `check` unless the attempt is throttled; a null/false result is a failure and counts. */
  async guard<T> (attempt: Attempt, check: () => Promise<T | null | false>): Promise<Verdict<T>> {
    const verdict = await this.#guard(attempt, check)
    const protocol = attempt.protocol ?? 'http'
    let outcomes = this.outcomes.get(protocol)
    if (outcomes === undefined) this.outcomes.set(protocol, outcomes = { success: 0, failure: 0, throttled: 0 })
    outcomes[verdict.ok ? 'success' : verdict.reason === 'denied' ? 'failure' : 'throttled']++
    return verdict
  }

  async #guard<T> (attempt: Attempt, check: () => Promise<T | null | false>): Promise<Verdict<T>> {
    const limits = this.#limits(attempt)
    let counted = true
    try {
      const retryAfterMs = await this.#admit(limits)
      if (retryAfterMs !== null) return { ok: false, reason: 'throttled', retryAfterMs }
    } catch (err) {
      this.onStoreError(err)
      counted = false
    }
    // A check ends only once its failure is in the store, so the waiter it wakes reads the
    // counters as they now are.
    try {
      let value: T | null | false
      try {
        value = await check()
      } catch (err) {
        if (isBusy(err)) return { ok: false, reason: 'busy', retryAfterMs: (err as SwitchboardError).retryAfterMs ?? 1000 }
        throw err
      }
      if (value === null || value === false) {
        if (counted) await this.#fail(limits)
        return { ok: false, reason: 'denied' }
      }
      return { ok: true, value }
    } finally {
      if (counted) for (const { limit, key } of limits) this.#inFlight.end(track({ limit, key }))
    }
  }
}

interface Limit { limit: FailureLimit, key: string }

const track = ({ limit, key }: Limit) => `${limit.rule.name}:${key}`
