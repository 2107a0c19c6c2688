import type { PermissionName } from '../../../plugins/webrocket/permissions.js'
import { serverFrames } from '../../helpers/server-frames.js'
import { WsClient } from '../../helpers/ws-client.js'

type VhostsConfig = Record<string, { users: Array<{ name: string, secret: string, permissions: PermissionName[] }> }>

/** What a test gives `startApp` to tie resources to its end. */
export interface Teardown { teardown (fn: () => unknown): void }

/** The vhost of upstream's websocket_api_test.go (spec §2.10), plus a WRITE-only user and a manager. */
export const ECHO: VhostsConfig = {
  '/echo': {
    users: [
      { name: 'front', secret: 'read-secret', permissions: ['READ'] },
      { name: 'back', secret: 'read-write-secret', permissions: ['READ', 'WRITE'] },
      { name: 'no-secret', secret: '', permissions: ['READ'] },
      { name: 'writer', secret: 'write-secret', permissions: ['WRITE'] },
    ],
  },
  '/other': {
    users: [{ name: 'back', secret: 'other-secret', permissions: ['READ', 'WRITE'] }],
  },
}

export const overrides = (extra: Record<string, unknown> = {}) => ({ protocols: { webrocket: { vhosts: ECHO, ...extra } } })

/** A client on `path`, authenticated as `user` when given; every frame it receives is checked against the WebRocket server frames. */
export async function client (base: string, path = '/webrocket/echo', user?: string, secret?: string): Promise<WsClient> {
  const ws = await WsClient.connect(base + path, {}, serverFrames('webrocket'))
  if (user !== undefined) {
    const reply = await ws.request({ authenticate: { user, secret } })
    if (reply.authenticated !== user) throw new Error(`authenticate ${user}: ${JSON.stringify(reply)}`)
  }
  return ws
}

/** The next two frames of `ws`, parsed, in a stable order (broadcast ack vs delivery order is not defined, §6.3). */
export async function nextTwo (ws: WsClient): Promise<unknown[]> {
  const frames = [await ws.next(), await ws.next()].sort()
  return frames.map((f) => JSON.parse(f))
}

/**
 * Sends `frame` until the reply equals `expected` (bounded): for changes that reach another
 * node through the hub a few milliseconds after the REST call returned.
 */
export async function requestUntil (ws: WsClient, frame: unknown, expected: unknown, timeout = 2000): Promise<unknown> {
  const want = JSON.stringify(expected)
  const deadline = Date.now() + timeout
  let reply: unknown
  do reply = await ws.request(frame)
  while (JSON.stringify(reply) !== want && Date.now() < deadline)
  return reply
}

/** The HTTP status of a refused upgrade (0 if the upgrade succeeded). */
export async function upgradeStatus (url: string): Promise<number> {
  try {
    (await WsClient.connect(url)).close()
    return 0
  } catch (err) {
    return (err as { statusCode?: number }).statusCode ?? -1
  }
}
