import { Redis, type RedisOptions } from 'ioredis'
import type { DependencyHealth } from '../dependency-health.js'

/**
 * One Redis connection that keeps reconnecting for ever: a node must survive a Redis restart and
 * resume by itself. Commands issued while Redis is away fail fast instead of queueing
 * without bound. `options` override these (a client whose commands must never run late).
 */
export function connectRedis (url: string, name: string, health?: DependencyHealth, options: RedisOptions = {}): Redis {
  const client = new Redis(url, {
    connectionName: name,
    lazyConnect: false,
    enableOfflineQueue: true,
    maxRetriesPerRequest: 1,
    retryStrategy: (attempt) => Math.min(50 * attempt, 1000),
    ...options,
  })
  // Every failed reconnect attempt is an 'error': the health tells the outage once.
  if (health) {
    client.on('error', (err: Error) => health.down(name, err))
    client.on('close', () => { if (client.status !== 'end') health.down(name, new Error('connection closed')) })
    client.on('ready', () => health.up(name))
  }
  return client
}

/** True once the connection is usable. */
export function redisReady (client: Redis): boolean {
  return client.status === 'ready'
}

/** Quits politely, or drops the socket if Redis is not there to answer. */
export async function closeRedis (client: Redis): Promise<void> {
  if (client.status === 'end') return
  try {
    if (client.status === 'ready') await client.quit()
    else client.disconnect()
  } catch {
    client.disconnect()
  }
}
