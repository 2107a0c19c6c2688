import pg from 'pg'
import { Redis } from 'ioredis'
import { randomId } from '../../src/core/ids.js'

export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'
export const POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

interface Teardown { teardown (fn: () => unknown): void }

/** A key prefix no other test uses; its keys are deleted when the test ends. */
export function redisPrefix (t: Teardown): string {
  const prefix = `sbtest:${randomId(6)}:`
  t.teardown(async () => {
    const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 })
    try {
      await redis.connect()
      const keys = await redis.keys(`${prefix}*`)
      if (keys.length) await redis.del(...keys)
    } finally {
      redis.disconnect()
    }
  })
  return prefix
}

/**
 * A PostgreSQL URL whose connections live in a fresh schema, dropped when the test ends, so
 * tests (and app instances within one test) share data only when they share the URL.
 */
export async function postgresUrl (t: Teardown): Promise<string> {
  const schema = `sbtest_${randomId(6).replace(/[^A-Za-z0-9]/g, '').toLowerCase()}`
  const admin = new pg.Client({ connectionString: POSTGRES_URL })
  await admin.connect()
  await admin.query(`CREATE SCHEMA ${schema}`)
  await admin.end()
  t.teardown(async () => {
    const client = new pg.Client({ connectionString: POSTGRES_URL })
    await client.connect()
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
    await client.end()
  })
  const url = new URL(POSTGRES_URL)
  url.searchParams.set('options', `-c search_path=${schema}`)
  return url.toString()
}
