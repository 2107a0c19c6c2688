import { WsClient } from '../../helpers/ws-client.js'

/** The vhost of upstream's websocket_api_test.go (spec §2.10), plus a WRITE-only user and a manager. */
export const ECHO = {
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

/** A client on `path`, authenticated as `user` when given. */
export async function client (base: string, path = '/webrocket/echo', user?: string, secret?: string): Promise<WsClient> {
  const ws = await WsClient.connect(base + path)
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
