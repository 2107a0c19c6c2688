import type { ServerConfig } from '../../config/schema.js'
import type { ConnectionRegistry } from '../connection-registry.js'
import { OutboundPressure } from './outbound-pressure.js'

/**
 * A connection still holding this share of its own cap (server.sendBufferLimit) after
 * `backlogMaxWait` without new publishes is not reading: a client that reads empties a
 * kernel's worth of socket buffer in milliseconds.
 */
const STUCK_SHARE = 1 / 16

/** The node's admission control over its registry's connections (server.backlog*). */
export function outboundPressureOf (server: ServerConfig, registry: ConnectionRegistry): OutboundPressure {
  const stuckBytes = server.sendBufferLimit * STUCK_SHARE
  return new OutboundPressure({
    limit: server.backlogLimit,
    recheck: server.backlogRecheck,
    maxWait: server.backlogMaxWait,
    measure: () => {
      let bytes = 0
      for (const connection of registry.live()) bytes += connection.unreadBytes ?? 0
      return bytes
    },
    stuck: () => {
      for (const connection of registry.live()) {
        if ((connection.unreadBytes ?? 0) <= stuckBytes) continue
        registry.slowConsumerClosed(connection.protocol)
        connection.close(1008, 'send buffer limit exceeded')
      }
    },
  })
}
