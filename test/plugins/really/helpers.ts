import { request, startApp, type RunningApp } from '../../helpers/app.js'
import type { ConfigOverrides } from '../../helpers/config.js'
import { serverFrames } from '../../helpers/server-frames.js'
import { WsClient } from '../../helpers/ws-client.js'

export const MODELS = {
  '/users/': {
    fields: {
      name: { type: 'string', required: true },
      age: { type: 'long', default: 0 },
      score: { type: 'double' },
      active: { type: 'boolean' },
    },
  },
  '/users/*/posts/': { fields: { title: { type: 'string', required: true }, likes: { type: 'long' } } },
} as const

interface TestLike { teardown (fn: () => unknown): void }

/** An app with the test models; `really` overrides merge into the protocol section. */
export function startReally (t: TestLike, really: Record<string, unknown> = {}, overrides: ConfigOverrides = {}): Promise<RunningApp> {
  return startApp(t, { ...overrides, protocols: { really: { models: MODELS, ...really } } })
}

export async function anonymousToken (base: string, data: unknown = { nick: 'anon' }): Promise<string> {
  const { status, body } = await request(base, 'POST', '/auth/anonymous/', { body: data })
  if (status !== 200) throw new Error(`anonymous token: ${status}`)
  return body.accessToken as string
}

/** A client on `path`; every frame it receives is checked against the Really server frames. */
export async function connect (t: TestLike, app: RunningApp, path = '/v0.1/socket'): Promise<WsClient> {
  const client = await WsClient.connect(app.wsUrl + path, {}, serverFrames('really'))
  t.teardown(() => client.close())
  return client
}

/** A connected, initialized client (anonymous unless a token is given). */
export async function initialized (t: TestLike, app: RunningApp, token?: string): Promise<WsClient> {
  const client = await connect(t, app)
  const reply = await client.request({ tag: 1, cmd: 'initialize', accessToken: token ?? await anonymousToken(app.url) })
  if (reply.evt !== 'initialized') throw new Error(`initialize failed: ${JSON.stringify(reply)}`)
  return client
}

/** Reads frames until one matches (pushes and replies can interleave); bounded. */
export async function until<T = any> (client: WsClient, predicate: (frame: any) => boolean, limit = 20): Promise<T> { // eslint-disable-line @typescript-eslint/no-explicit-any
  for (let i = 0; i < limit; i++) {
    const frame = await client.json()
    if (predicate(frame)) return frame as T
  }
  throw new Error('no matching frame')
}
