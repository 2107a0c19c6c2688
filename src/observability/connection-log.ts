import type { Connection, ConnectionEnd, ConnectionOpening } from '../core/connection.js'
import type { ConnectionObserver } from '../core/connection-registry.js'

type Level = 'info' | 'debug'
type Line = (obj: object, msg: string) => void

/** The little of a pino logger the connection lines need. */
export interface ConnectionLogger {
  info: Line
  debug: Line
  /** pino's; a logger without it (Fastify's when logging is off) is taken as enabled. */
  isLevelEnabled? (level: string): boolean
}

/**
 * One log line per connection event (`log.connections`, issue 17): opened, authenticated,
 * closed. Every line names the connection in `connection`, the key every other line about a
 * connection uses, so one grep follows it. No child logger per connection (idle memory per
 * connection is a benchmark figure): the lines are written on the shared logger, and nothing
 * is built when the level is off; `off` adds no observer at all (null).
 */
export function connectionLog (log: ConnectionLogger, level: Level | 'off'): ConnectionObserver | null {
  if (level === 'off') return null
  // Looked up per line: pino swaps a logger's methods when its level changes.
  const write = (obj: object, msg: string) => log[level](obj, msg)
  // Asked at each event: a line's fields cost something (the peer address is a system call).
  const enabled = () => log.isLevelEnabled?.(level) ?? true
  return {
    opened (connection: Connection, { userAgent }: ConnectionOpening) {
      if (!enabled()) return
      write({ connection: connection.id, protocol: connection.protocol, address: connection.remoteAddress, userAgent: userAgent ?? null }, 'connection opened')
    },
    authenticated (connection: Connection, user: string | null) {
      if (!enabled()) return
      write({ connection: connection.id, protocol: connection.protocol, user, anonymous: user === null }, 'connection authenticated')
    },
    closed (connection: Connection, { code, reason }: ConnectionEnd) {
      if (!enabled()) return
      const { framesIn, framesOut, bytesIn, bytesOut } = connection.traffic
      write({
        connection: connection.id,
        protocol: connection.protocol,
        code,
        reason,
        durationMs: Date.now() - connection.connectedAt,
        framesIn,
        framesOut,
        bytesIn,
        bytesOut,
      }, 'connection closed')
    },
  }
}
