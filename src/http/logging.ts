import type { FastifyServerOptions } from 'fastify'
import type { Config } from '../config/schema.js'

// Query parameters that carry credentials in some clients (Really's `access_token`, …).
const SECRET_QUERY = /([?&](?:access_token|token|auth_token|session_token|refresh_token|password|secret)=)[^&]*/gi

/** Strips credentials from a URL before it is logged. */
export function redactUrl (url: string): string {
  return url.replace(SECRET_QUERY, '$1[Redacted]')
}

/** Where the log goes: only whether it is a terminal matters here (`process.stdout` by default). */
export interface LogOutput {
  isTTY?: boolean
}

/**
 * Human-readable lines for someone watching a terminal, JSON lines for whatever collects a
 * redirected or piped stdout (issue 17). pino-pretty runs as a pino transport (a worker thread):
 * redaction and serializers apply before a line leaves the process, so both forms are censored.
 */
export function prettyTransport (output: LogOutput): { target: string, options: Record<string, unknown> } | undefined {
  if (output.isTTY !== true) return undefined
  return { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } }
}

/** pino options: secrets never reach the log (design.md §5); pretty on a terminal. */
export function loggerOptions (config: Config, output: LogOutput = process.stdout): Exclude<FastifyServerOptions['logger'], boolean | undefined> {
  return {
    level: config.log.level,
    transport: prettyTransport(output),
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
