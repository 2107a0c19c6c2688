import { loadConfig } from '../../src/config/load.js'
import type { Config } from '../../src/config/schema.js'

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? (T[K] extends unknown[] ? T[K] : DeepPartial<T[K]>) : T[K] }
/** Config overrides as a test writes them (durations may be numbers of ms or strings). */
export type ConfigOverrides = DeepPartial<Config> & Record<string, unknown>

export const TEST_SECRET = 'test-secret-that-is-long-enough'
export const TEST_API_KEY = 'test-api-key-1234'
export const ADMIN = { username: 'admin', password: 'admin-pass' }
export const ALICE = { username: 'alice', password: 'alice-pass' }

/**
 * Budgets far above what any test spends: the suite logs in (and fails to) many times from
 * 127.0.0.1. Throttling tests set their own small ones.
 */
export const TEST_THROTTLE = { maxFailuresPerAccount: 100_000, maxFailuresPerAddress: 100_000, maxRequestsPerAddress: 100_000 }

/**
 * scrypt N for every password hashed in tests: production's 16384 costs 200–500 ms per app
 * start on this box (config users are hashed at start-up); this costs a few ms.
 */
export const TEST_PASSWORD_COST = 1024

/** In-memory defaults for tests: SQLite in memory, fixed secret, an admin and a plain user. */
export function testConfig (overrides: ConfigOverrides = {}): Config {
  const base = {
    server: { host: '127.0.0.1', port: 0 },
    storage: { database: 'sqlite::memory:' },
    auth: { jwtSecret: TEST_SECRET, apiKeys: [TEST_API_KEY], throttle: TEST_THROTTLE, passwordHashing: { queue: 100_000, cost: TEST_PASSWORD_COST } },
    log: { level: 'silent' },
    protocols: { syscache: { maxAuthFailures: 100_000 } },
    users: [
      { ...ADMIN, admin: true, email: 'admin@example.test' },
      { ...ALICE, admin: false, email: 'alice@example.test' },
    ],
  }
  return loadConfig({ overrides: deepMergeLoose(base, overrides) })
}

function deepMergeLoose (base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out = { ...base }
  for (const [k, v] of Object.entries(over)) {
    const b = out[k]
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && b && typeof b === 'object' && !Array.isArray(b)
      ? deepMergeLoose(b as Record<string, unknown>, v as Record<string, unknown>)
      : v
  }
  return out
}
