import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import type { Config } from '../config/schema.js'
import { createBackend, type Backend } from './backend/backend.js'
import { ConnectionRegistry } from './connection.js'
import { openDatabase, type Database } from './db/database.js'
import type { Broker } from './hub/broker.js'
import { Hub } from './hub/hub.js'
import { MemoryBroker } from './hub/memory-broker.js'
import { RedisBroker } from './hub/redis-broker.js'
import { Identity } from './identity/identity.js'
import { MemoryStore } from './state/memory-store.js'
import { RedisStore } from './state/redis-store.js'
import type { EphemeralStore } from './state/store.js'
import { Tokens } from './tokens/tokens.js'

/** The little of a logger the core needs (pino fits). */
export interface CoreLogger {
  info (obj: object, msg?: string): void
  warn (obj: object, msg?: string): void
  error (obj: object, msg?: string): void
}

/** Everything protocol-neutral that the HTTP layer and the plugins are given. */
export interface Services {
  readonly config: Config
  readonly database: Database
  readonly store: EphemeralStore
  readonly hub: Hub
  readonly identity: Identity
  readonly tokens: Tokens
  readonly connections: ConnectionRegistry
  /** True once startup is done and until shutdown begins. */
  accepting: boolean
  backend (url: string | null): Backend
  /** Dependencies that are down (empty when all answer). */
  unavailable (): Promise<string[]>
  close (): Promise<void>
}

export function databaseUrl (config: Config): string {
  return config.storage.database ?? `sqlite:${join(config.storage.dataDir, 'switchboard.db')}`
}

/** Secret for JWTs: the configured one, or (outside production) a random one with a warning. */
export function jwtSecret (config: Config, log: CoreLogger): string {
  if (config.auth.jwtSecret) return config.auth.jwtSecret
  if (process.env.NODE_ENV === 'production') {
    throw new Error('auth.jwtSecret (or JWT_SECRET) must be set in production')
  }
  log.warn({}, 'auth.jwtSecret is not set: using a random secret; tokens will not survive a restart or work across nodes')
  return randomBytes(32).toString('base64url')
}

export async function createServices (config: Config, log: CoreLogger): Promise<Services> {
  const secret = jwtSecret(config, log)
  const onRedisError = (err: Error) => log.warn({ err: err.message }, 'redis')
  const redis = config.storage.redis
  const store: EphemeralStore = redis
    ? new RedisStore({ url: redis, prefix: config.storage.redisPrefix, onError: onRedisError })
    : new MemoryStore()
  const broker: Broker = redis
    ? new RedisBroker({ url: redis, prefix: `${config.storage.redisPrefix}hub:`, onError: onRedisError })
    : new MemoryBroker()
  let database: Database
  try {
    database = await openDatabase(databaseUrl(config))
  } catch (err) {
    await Promise.all([store.close(), broker.close()])
    throw err
  }
  const hub = new Hub(broker, (err, topic) => log.error({ err, topic }, 'subscriber failed'))
  const identity = new Identity(database)
  const tokens = new Tokens({ secret, accessTtlMs: config.auth.accessTokenTtl, refreshTtlMs: config.auth.refreshTokenTtl, store })
  identity.onRevoked(async (username) => {
    await tokens.revokeUser(username)
    await hub.publish(REVOCATIONS_TOPIC, { username })
  })
  await identity.syncConfigUsers(config.users)

  return {
    config,
    database,
    store,
    hub,
    identity,
    tokens,
    connections: new ConnectionRegistry(),
    accepting: true,
    backend: (url) => createBackend(url, config.backend.timeout),
    async unavailable () {
      const down: string[] = []
      if (!(await database.ping())) down.push('database')
      if (!store.isReady()) down.push('store')
      if (!broker.isReady()) down.push('broker')
      return down
    },
    async close () {
      await Promise.allSettled([broker.close(), store.close(), database.close()])
    },
  }
}

/** Hub topic announcing `{username}` whenever a user's tokens are revoked (e.g. user removed). */
export const REVOCATIONS_TOPIC = 'core:revocations'
