import type { Connection, ConnectionEnd, ConnectionOpening, Principal } from '../connection.js'
import type { ConnectionObserver } from '../connection-registry.js'

/** The connection an event is about, as a receiver sees it. */
export interface WebhookConnection {
  id: string
  protocol: string
  /** The client's address (a trusted proxy's report, else the socket's peer). */
  address: string
}

interface EventBase {
  /** ms since the epoch, when the node saw it. */
  time: number
  /** The node that holds the connection. */
  node: string
  connection: WebhookConnection
  /** The core user behind the connection, when it authenticated as one. */
  user?: string
}

/** One lifecycle event, as a batch carries it (README "Webhooks"). */
export type WebhookEvent =
  | EventBase & { type: 'connect', userAgent: string | null }
  /** `user` null: an anonymous principal; for WebRocket, the vhost user's name. */
  | Omit<EventBase, 'user'> & { type: 'authenticate', user: string | null }
  | EventBase & { type: 'subscribe' | 'unsubscribe', channel: string }
  | EventBase & {
    type: 'disconnect'
    /** WebSocket close code; null where the protocol has none (DAS). */
    code: number | null
    reason: string
    durationMs: number
    framesIn: number
    framesOut: number
    bytesIn: number
    bytesOut: number
  }

const usernameOf = (principal: Principal | null): string | undefined => principal?.kind === 'user' ? principal.username : undefined

/**
 * Turns the registry's connection events into webhook events handed to `emit`, which must only
 * queue them: an observer runs on the connection's own path (design: a slow receiver never
 * delays a client).
 */
export function lifecycleObserver (node: string, emit: (event: WebhookEvent) => void, now: () => number = Date.now): ConnectionObserver {
  // The address is read on `opened` (the transport keeps it once read), so `disconnect` still
  // has it after the socket is gone.
  const base = (connection: Connection) => {
    const out: EventBase = { time: now(), node, connection: { id: connection.id, protocol: connection.protocol, address: connection.remoteAddress } }
    const user = usernameOf(connection.principal)
    if (user !== undefined) out.user = user
    return out
  }
  return {
    opened (connection: Connection, { userAgent }: ConnectionOpening) {
      emit({ ...base(connection), type: 'connect', userAgent: userAgent ?? null })
    },
    authenticated (connection: Connection, user: string | null) {
      emit({ ...base(connection), type: 'authenticate', user })
    },
    subscribed (connection: Connection, channel: string) {
      emit({ ...base(connection), type: 'subscribe', channel })
    },
    unsubscribed (connection: Connection, channel: string) {
      emit({ ...base(connection), type: 'unsubscribe', channel })
    },
    closed (connection: Connection, { code, reason }: ConnectionEnd) {
      const { framesIn, framesOut, bytesIn, bytesOut } = connection.traffic
      const event = base(connection)
      emit({ ...event, type: 'disconnect', code, reason, durationMs: event.time - connection.connectedAt, framesIn, framesOut, bytesIn, bytesOut })
    },
  }
}
