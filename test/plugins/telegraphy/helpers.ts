import type { FastifyInstance } from 'fastify'
import { Redis } from 'ioredis'
import { loadSubscriptions } from '../../../plugins/telegraphy/stored-subscriptions.js'
import type { EphemeralStore } from '../../../src/core/state/store.js'
import { login, request, sharedClusterOverrides, startApp, TEST_API_KEY, type RunningApp } from '../../helpers/app.js'
import { REDIS_URL } from '../../helpers/infra.js'
import { ALICE } from '../../helpers/config.js'
import { serverFrames } from '../../helpers/server-frames.js'
import { WsClient } from '../../helpers/ws-client.js'

/** Shrunk timers for Telegraphy tests (docs/protocols/telegraphy.md §3.6). */
export const telegraphyOverrides = (extra: Record<string, unknown> = {}) => ({
  protocols: {
    telegraphy: {
      authTokenTtl: 2000,
      connectTimeout: 5000,
      reconnectWindow: 1500,
      handoverTimeout: 500,
      events: ['demo.Item'],
      ...extra,
    },
  },
})

/** A client on the Telegraphy route; every frame it receives is checked against the Telegraphy server frames. */
export function open (wsUrl: string, options: Parameters<typeof WsClient.connect>[1] = {}): Promise<WsClient> {
  return WsClient.connect(`${wsUrl}/telegraphy`, options, serverFrames('telegraphy'))
}

/** A fresh one-time auth token for `user` through the REST route. */
export async function authToken (url: string, user = ALICE): Promise<string> {
  const token = await login(url, user)
  const { status, body } = await request(url, 'POST', '/api/telegraphy/auth-tokens', { token })
  if (status !== 201) throw new Error(`auth token: ${status} ${JSON.stringify(body)}`)
  return body.auth_token as string
}

/** An open, CONNECTed client and its session token. */
export async function connected (url: string, wsUrl: string, options: { user?: typeof ALICE, ws?: Parameters<typeof WsClient.connect>[1] } = {}): Promise<{ client: WsClient, sessionToken: string }> {
  const auth = await authToken(url, options.user)
  const client = await open(wsUrl, options.ws)
  const reply = await client.request({ message: 'CONNECT', id: 0, args: { auth_token: auth } })
  if (reply.status !== 'CONNECTED') throw new Error(`CONNECT failed: ${JSON.stringify(reply)}`)
  return { client, sessionToken: reply.data.session_token as string }
}

export async function subscribe (client: WsClient, id: number, args: Record<string, unknown>): Promise<void> {
  const reply = await client.request({ message: 'SUBSCRIBE', id, args })
  if (reply.status !== 'SUBSCRIBED') throw new Error(`SUBSCRIBE failed: ${JSON.stringify(reply)}`)
}

/** Emits through `POST /api/telegraphy/events` with the service key. */
export async function emit (url: string, name: string, data: Record<string, unknown>, meta?: Record<string, unknown>): Promise<boolean> {
  const { status, body } = await request(url, 'POST', '/api/telegraphy/events', { apiKey: TEST_API_KEY, body: { name, data, meta } })
  if (status !== 202) throw new Error(`emit: ${status} ${JSON.stringify(body)}`)
  return body.emitted as boolean
}

/** The next `count` frames, parsed. */
export async function frames (client: WsClient, count: number, timeout?: number): Promise<any[]> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const out = []
  for (let i = 0; i < count; i++) out.push(await client.json(timeout))
  return out
}

interface TestLike { teardown (fn: () => unknown): void }

/**
 * `count` apps of one cluster (one Redis prefix, one PostgreSQL schema, the same Telegraphy
 * options); `more()` starts another one of it later.
 */
export async function clusterOf (t: TestLike, count: number, extra: Record<string, unknown> = {}): Promise<{ nodes: RunningApp[], more: () => Promise<RunningApp> }> {
  const shared = { ...(await sharedClusterOverrides(t)), ...telegraphyOverrides(extra) }
  const more = () => startApp(t, shared)
  // All settled before a failure is thrown, so every app that did start has registered its
  // teardown while the test still runs (one failed start once left a test file hanging).
  const started = await Promise.allSettled(Array.from({ length: count }, more))
  const failed = started.find((s) => s.status === 'rejected')
  if (failed) throw failed.reason
  return { nodes: started.map((s) => (s as PromiseFulfilledResult<RunningApp>).value), more }
}

/**
 * A killed node as the other nodes see it, in process: from now on it writes nothing to the
 * store and neither hears nor sends anything through the broker (no drop recorded, no
 * heartbeat, no answer to claims, no shutdown hand-over). Its sockets stay open until their
 * clients close them.
 */
export async function crash (app: FastifyInstance): Promise<void> {
  await Promise.all([app.services.hub.broker.close(), app.services.store.close()])
}

/** A Redis client on the app's keys (peeks at what the store API cannot show: list lengths). */
export function redisOf (t: TestLike, app: FastifyInstance): { redis: Redis, key: (key: string) => string } {
  const redis = new Redis(REDIS_URL)
  t.teardown(() => redis.disconnect())
  return { redis, key: (key) => app.services.config.storage.redisPrefix + key }
}

/**
 * A session as the store keeps it: the head at `key` (live or dropped record) with the
 * subscriptions of its hash (one field per subscription), or null when the head is gone.
 */
export async function storedSession (store: EphemeralStore, key: string, token: string): Promise<Record<string, unknown> | null> {
  const head = await store.get(key)
  if (head === null) return null
  return { ...JSON.parse(head), subscriptions: (await loadSubscriptions(store, token)).map((s) => s.view) }
}
