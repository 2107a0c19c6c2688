import rateLimit, { type RateLimitOptions } from '@fastify/rate-limit'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Services } from '../../core/services.js'
import { addressKey } from '../../core/throttle/address-key.js'
import { counterRateLimitStore } from './rate-limit-store.js'

/**
 * Registers @fastify/rate-limit for the credential routes only (`global: false`; a route opts
 * in with `config: credentialRouteLimit(services)`): `auth.throttle.maxRequestsPerAddress`
 * requests per address per `auth.throttle.window`, whatever their outcome, answered past it
 * with 429 + Retry-After in Fastify's error shape. `skipOnError`: when Redis is down the
 * request goes through (the failure budgets fail open too; scrypt stays bounded per process),
 * so an outage of the store does not lock every user out.
 */
export async function registerCredentialRateLimit (app: FastifyInstance, services: Services): Promise<void> {
  await app.register(rateLimit, {
    global: false,
    store: counterRateLimitStore(services.counters, 'requests:'),
    keyGenerator: (request: FastifyRequest) => addressKey(request.ip),
    skipOnError: true,
    // Only the answer to a refused request carries the headers: they would tell a guesser
    // its remaining budget on every attempt.
    addHeadersOnExceeding: { 'x-ratelimit-limit': false, 'x-ratelimit-remaining': false, 'x-ratelimit-reset': false },
    errorResponseBuilder: (_request, context) => Object.assign(new Error(`too many requests, retry in ${context.after}`), { statusCode: context.statusCode }),
  })
}

/** Route `config` putting a credential route under the per-address request budget. */
export function credentialRouteLimit (services: Services): { rateLimit: RateLimitOptions | false } {
  const { maxRequestsPerAddress, window } = services.config.auth.throttle
  if (maxRequestsPerAddress === 0) return { rateLimit: false }
  return { rateLimit: { max: maxRequestsPerAddress, timeWindow: window } }
}
