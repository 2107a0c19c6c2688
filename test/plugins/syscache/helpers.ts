import { ADMIN, type ConfigOverrides } from '../../helpers/config.js'
import { startApp, type RunningApp } from '../../helpers/app.js'
import { serverFrames } from '../../helpers/server-frames.js'
import { WsClient } from '../../helpers/ws-client.js'

interface TestLike { teardown (fn: () => unknown): void }

export type SyscacheOverrides = Record<string, unknown>

/** An app with the syscache options given (timers off unless a test sets them). */
export function syscacheApp (t: TestLike, syscache: SyscacheOverrides = {}, overrides: ConfigOverrides = {}): Promise<RunningApp> {
  return startApp(t, {
    ...overrides,
    protocols: { syscache: { idleTimeout: 0, authWindow: 0, ...syscache } },
  } as ConfigOverrides)
}

/** A client on `path`, every frame it receives checked against the syscache server frames. */
export async function connect (t: TestLike, app: RunningApp, options: Parameters<typeof WsClient.connect>[1] = {}, path = '/syscache'): Promise<WsClient> {
  const client = await WsClient.connect(app.wsUrl + path, options, serverFrames('syscache'))
  t.teardown(() => client.close())
  return client
}

export const rpc = (name: string, args: unknown, id: string | number = 'r1') => ({ namespace: 'rpc', name, id, args })
export const events = (name: string, args: unknown, id: string | number = 'e1') => ({ namespace: 'events', name, id, args })
export const sysadm = (name: string, args: unknown, id: string | number = 's1') => ({ namespace: 'sysadm', name, id, args })

export const error = (id: string | number, code: number, message: string) =>
  ({ namespace: 'rpc', name: 'error', id, args: { code, message } })

/** A connection logged in as `user`, and its token. */
export async function authed (t: TestLike, app: RunningApp, user: { username: string, password: string } = ADMIN): Promise<{ client: WsClient, token: string }> {
  const client = await connect(t, app)
  const reply = await client.request(rpc('auth', user, 'login'))
  if (reply.name !== 'response') throw new Error(`login failed: ${JSON.stringify(reply)}`)
  return { client, token: reply.args[0] as string }
}
