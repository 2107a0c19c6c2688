import { postSigned } from '../backend/signature.js'
import { BoundedCache } from './bounded-cache.js'
import type { AccessAction, AccessProtocol } from './vocabulary.js'

/** What the hook is asked (README "Authorization"). */
export interface HookQuestion {
  protocol: AccessProtocol
  action: AccessAction
  resource: string
  /** null: anonymous. */
  user: string | null
  roles: readonly string[]
  connectionId: string
}

export interface AuthorizeHookOptions {
  url: string
  /** `backend.secret`: the question is signed like every backend call. */
  secret: string | null
  timeoutMs: number
  /** How long an answer is reused (`access.cacheTtl`). */
  cacheTtlMs: number
  /** Answers kept at most (least recently used dropped first). */
  cacheSize?: number
  /** A question that ended without an answer (timeout, error, 5xx): it was denied. */
  onFailure: (question: HookQuestion, reason: string) => void
  now?: () => number
}

/**
 * Asks `access.authorizeUrl` whether an attempt no rule decided is allowed: a 2xx answer
 * `{"allow": true}` allows, any other answer denies. Answers are reused for `cacheTtl` per
 * (protocol, action, resource, user, roles) — not per connection — and questions asked again
 * while one is in flight wait for it. A timeout, no answer or a 5xx denies and is reported, but
 * is not remembered: the next attempt asks again.
 */
export class AuthorizeHook {
  readonly #options: AuthorizeHookOptions
  readonly #answers: BoundedCache<boolean>
  readonly #inFlight = new Map<string, Promise<boolean>>()

  constructor (options: AuthorizeHookOptions) {
    this.#options = options
    this.#answers = new BoundedCache(options.cacheSize ?? 10_000, options.now)
  }

  /** The key answers are kept under. */
  static keyOf (question: HookQuestion): string {
    return JSON.stringify([question.protocol, question.action, question.resource, question.user, question.roles])
  }

  /** The remembered answer, if still fresh. */
  cached (key: string): boolean | undefined {
    return this.#answers.get(key)
  }

  ask (question: HookQuestion, key: string = AuthorizeHook.keyOf(question)): Promise<boolean> {
    let answer = this.#inFlight.get(key)
    if (answer === undefined) {
      answer = this.#post(question, key).finally(() => this.#inFlight.delete(key))
      this.#inFlight.set(key, answer)
    }
    return answer
  }

  async #post (question: HookQuestion, key: string): Promise<boolean> {
    const { url, secret, timeoutMs, cacheTtlMs, onFailure } = this.#options
    let response: Response
    let text: string
    try {
      response = await postSigned(url, question, secret, timeoutMs)
      text = await response.text()
    } catch (err) {
      onFailure(question, (err as Error).name === 'TimeoutError' ? 'timeout' : 'unreachable')
      return false
    }
    if (response.status >= 500) {
      onFailure(question, `status ${response.status}`)
      return false
    }
    let allow = false
    // An empty 2xx (204) answered without allowing: a deliberate denial like a 4xx.
    if (response.status >= 200 && response.status < 300 && text !== '') {
      try {
        allow = (JSON.parse(text) as { allow?: unknown } | null)?.allow === true
      } catch {
        onFailure(question, 'answer is not JSON')
        return false
      }
    }
    // A deliberate answer (2xx, or a 4xx refusal) is kept; failures above are not.
    this.#answers.set(key, allow, cacheTtlMs)
    return allow
  }
}
