// The baselines' protocol (ws-server.ts, ws-fastify-server.ts, uws-server.ts): every answer that
// does not depend on how a server keeps its channels, in one place.
import { CREDENTIALS } from '../lib/wire.js'

export interface PlainClient { user: string | null }

/** The socket answers go to (a `ws` or a uWebSockets.js WebSocket): no closure per connection. */
export interface Replier { send (reply: string): unknown }

/** What is left for the server itself: joining a channel, or fanning a publish out. */
export type PlainRequest = { sub: string } | { pub: string, text: string }

/**
 * Parses one frame and answers it when the answer is the protocol's alone (bad JSON, auth, not
 * authenticated, unknown). Returns the subscribe or publish for the server (whose `sub` reply
 * it sends), or null when answered. A publish's JSON is built here, once.
 */
export function plainRequest (frame: string, client: PlainClient, socket: Replier): PlainRequest | null {
  let message: { auth?: { user?: unknown, secret?: unknown }, sub?: unknown, pub?: unknown, event?: unknown, data?: unknown }
  try {
    message = JSON.parse(frame)
  } catch {
    socket.send('{"error":"invalid json"}')
    return null
  }
  if (message.auth) {
    const ok = message.auth.user === CREDENTIALS.user && message.auth.secret === CREDENTIALS.secret
    client.user = ok ? CREDENTIALS.user : null
    socket.send(ok ? '{"ok":"auth"}' : '{"error":"credentials"}')
  } else if (!client.user) {
    socket.send('{"error":"not authenticated"}')
  } else if (typeof message.sub === 'string') {
    return { sub: message.sub }
  } else if (typeof message.pub === 'string') {
    return { pub: message.pub, text: JSON.stringify({ event: message.event, channel: message.pub, data: message.data }) }
  } else {
    socket.send('{"error":"unknown"}')
  }
  return null
}
