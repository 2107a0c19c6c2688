// The subject under test: Switchboard built from this project (dist/src/app.js), configured
// for the bench. SWITCHBOARD_ROOT=/path/to/checkout runs another checkout's build instead
// (its `dist/src/app.js`), e.g. a protocol branch before it is merged.
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { CHANNEL, CREDENTIALS, EVENT, type SwitchboardVariant } from '../lib/wire.js'
import type { RunningServer } from './types.js'

type AppModule = typeof import('../../src/app.js')
type LoadModule = typeof import('../../src/config/load.js')

export interface SwitchboardOptions {
  /** `redis://…` to run as one node of a cluster. */
  redis?: string
  redisPrefix?: string
  /** Outbound bytes per connection before it is closed as a slow consumer. */
  sendBufferLimit: number
  variant?: SwitchboardVariant
}

/**
 * Access rules as a deployment would write them: twenty rules about other names first, so every
 * check walks the list before the one that lets the bench user subscribe and publish on its
 * channel; WebRocket's default is deny, so the authorizer decides every subscribe and broadcast.
 */
function accessRules (): Record<string, unknown> {
  const others = Array.from({ length: 20 }, (_, i) => ({
    protocol: 'webrocket', resource: `/other-${i}/*`, actions: ['subscribe', 'publish'], allow: [`role:team-${i}`],
  }))
  return {
    defaults: { webrocket: 'deny' },
    rules: [...others, { protocol: 'webrocket', resource: `/bench/${CHANNEL}*`, actions: ['subscribe', 'publish'], allow: [`user:${CREDENTIALS.user}`] }],
  }
}

async function modules (): Promise<{ app: AppModule, load: LoadModule }> {
  const root = process.env.SWITCHBOARD_ROOT
  if (!root) return { app: await import('../../src/app.js'), load: await import('../../src/config/load.js') }
  const dist = (file: string) => pathToFileURL(resolve(root, 'dist', file)).href
  return { app: await import(dist('src/app.js')) as AppModule, load: await import(dist('src/config/load.js')) as LoadModule }
}

/** The bench config (design.md §3 keys); protocols that are not measured are switched off. */
export function benchOverrides (options: SwitchboardOptions): Record<string, unknown> {
  return {
    // Every generator connects from 127.0.0.1: the per-address cap (1,000 by default) is off here.
    server: { host: '127.0.0.1', port: 0, sendBufferLimit: options.sendBufferLimit, maxPayload: '64kb', maxConnectionsPerAddress: 0 },
    storage: { database: 'sqlite::memory:', redis: options.redis ?? null, ...(options.redisPrefix ? { redisPrefix: options.redisPrefix } : {}) },
    auth: { jwtSecret: CREDENTIALS.jwtSecret, apiKeys: [CREDENTIALS.apiKey] },
    log: { level: 'warn' },
    users: [{ username: CREDENTIALS.user, password: CREDENTIALS.password, admin: true }],
    protocols: {
      webrocket: { vhosts: { '/bench': { users: [{ name: CREDENTIALS.user, secret: CREDENTIALS.secret, permissions: ['READ', 'WRITE'] }] } } },
      telegraphy: { requireAuth: false, events: [EVENT], connectTimeout: '1h' },
      // Idle connections must stay for the whole memory scenario.
      syscache: { tokenLifetime: '1h', idleTimeout: '1h', authWindow: '1m' },
      really: { enabled: false },
      // Only the DAS subjects run DAS; its auth window is as roomy as syscache's. `das-unacked`'s
      // clients never acknowledge: without the sweep, its sockets are not dropped for it.
      das: options.variant === 'das' ? { enabled: true, authWindow: '1m' }
        : options.variant === 'das-unacked' ? { enabled: true, authWindow: '1m', cleanupInterval: 0 }
          : { enabled: false },
    },
    ...(options.variant === 'rules' ? { access: accessRules() } : {}),
    ...(options.variant === 'no-metrics' ? { metrics: { enabled: false } } : {}),
  }
}

export async function startSwitchboard (options: SwitchboardOptions): Promise<RunningServer> {
  const { app: { buildApp }, load: { loadConfig } } = await modules()
  const config = loadConfig({ overrides: benchOverrides(options) })
  const app = await buildApp(config)
  await app.listen({ host: config.server.host, port: config.server.port })
  const address = app.server.address() as { port: number }
  return {
    port: address.port,
    connections: () => app.services.connections.size,
    close: () => app.close(),
  }
}
