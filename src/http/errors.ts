import { STATUS_CODES } from 'node:http'
import type { FastifyError, FastifyInstance } from 'fastify'
import { isDatabaseUnavailable } from '../core/db/unavailable.js'
import type { DependencyHealth } from '../core/dependency-health.js'
import { SwitchboardError } from '../core/errors.js'

const statusOf: Record<SwitchboardError['code'], [number, string]> = {
  INVALID: [400, 'Bad Request'],
  UNAUTHORIZED: [401, 'Unauthorized'],
  FORBIDDEN: [403, 'Forbidden'],
  NOT_FOUND: [404, 'Not Found'],
  CONFLICT: [409, 'Conflict'],
  UNAVAILABLE: [503, 'Service Unavailable'],
  THROTTLED: [429, 'Too Many Requests'],
  BUSY: [503, 'Service Unavailable'],
}

/** `Retry-After` in whole seconds, rounded up and never 0 (0 would invite an immediate retry). */
export function retryAfterSeconds (ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000))
}

/**
 * Domain errors become their HTTP status in Fastify's error shape; the rest is Fastify's default.
 * A database that cannot be reached is "store unavailable" (503), as Redis is, told to the
 * database's health (one warning per outage) rather than logged with every request.
 */
export function installErrorHandler (app: FastifyInstance, database: DependencyHealth): void {
  app.setErrorHandler((err: FastifyError | SwitchboardError, request, reply) => {
    if (isDatabaseUnavailable(err)) {
      database.down('pool', err)
      err = new SwitchboardError('UNAVAILABLE', 'store unavailable')
    }
    if (err instanceof SwitchboardError) {
      const [statusCode, error] = statusOf[err.code]
      if (err.retryAfterMs !== undefined) reply.header('retry-after', retryAfterSeconds(err.retryAfterMs))
      return reply.code(statusCode).send({ statusCode, error, message: err.message })
    }
    const statusCode = err.statusCode ?? 500
    if (statusCode >= 500) request.log.error({ err }, 'request failed')
    return reply.code(statusCode).send({
      statusCode,
      code: err.code,
      error: STATUS_CODES[statusCode] ?? 'Error',
      message: statusCode >= 500 ? 'internal error' : err.message,
    })
  })
}
