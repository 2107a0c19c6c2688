import type { FastifyRequest } from 'fastify'
import { SwitchboardError } from '../../core/errors.js'
import type { Services } from '../../core/services.js'
import type { Verdict } from '../../core/throttle/credential-throttle.js'

/** The error a refused verdict becomes on REST: 429 (throttled) or 503 (busy), with Retry-After. */
export function verdictError (verdict: Extract<Verdict<unknown>, { retryAfterMs: number }>): SwitchboardError {
  return verdict.reason === 'throttled'
    ? new SwitchboardError('THROTTLED', 'too many failed attempts; try again later', verdict.retryAfterMs)
    : new SwitchboardError('BUSY', 'too many password checks in progress; try again shortly', verdict.retryAfterMs)
}

/**
 * A REST credential check under the throttle (core/throttle): its value, or null when the
 * credentials are wrong (counted as a failure of the caller's address and of `account`);
 * throws THROTTLED or BUSY (the error handler answers 429 / 503 with Retry-After). `protocol`
 * labels the outcome in the metrics: a protocol's own REST login, or `http` for the shared routes.
 */
export async function guardedCheck<T> (services: Services, request: FastifyRequest, account: string | undefined, check: () => Promise<T | null | false>, protocol = 'http'): Promise<T | null> {
  const verdict = await services.throttle.guard({ address: request.ip, account, protocol }, check)
  if (verdict.ok) return verdict.value
  if (verdict.reason === 'denied') return null
  throw verdictError(verdict)
}
