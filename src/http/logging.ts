import type { FastifyServerOptions } from 'fastify'
import type { Config } from '../config/schema.js'

// Query parameters that carry credentials in some clients (Really's `access_token`, …).
const SECRET_QUERY = /([?&](?:access_token|token|auth_token|session_token|refresh_token|password|secret)=)[^&]*/gi

/** Strips credentials from a URL before it is logged. */
export function redactUrl (url: string): string {
  return url.replace(SECRET_QUERY, '$1[Redacted]')
}

/** pino options: secrets never reach the log (design.md §5). */
export function loggerOptions (config: Config): FastifyServerOptions['logger'] {
  return {
    level: config.log.level,
    redact: {
      paths: ['req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers.cookie', '*.password', '*.secret', '*.token', '*.jwtSecret'],
      censor: '[Redacted]',
    },
    serializers: {
      req (request: { method: string, url: string, ip?: string, headers?: Record<string, unknown> }) {
        return { method: request.method, url: redactUrl(request.url), remoteAddress: request.ip }
      },
    },
  }
}
