import { loadConfig } from '../../src/config/load.js'
import type { Config } from '../../src/config/schema.js'

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? (T[K] extends unknown[] ? T[K] : DeepPartial<T[K]>) : T[K] }
/** Config overrides as a test writes them (durations may be numbers of ms or strings). */
export type ConfigOverrides = DeepPartial<Config> & Record<string, unknown>

export const TEST_SECRET = 'test-secret-that-is-long-enough'
export const TEST_API_KEY = 'test-api-key-1234'
export const ADMIN = { username: 'admin', password: 'admin-pass' }
export const ALICE = { username: 'alice', password: 'alice-pass' }

/** In-memory defaults for tests: SQLite in memory, fixed secret, an admin and a plain user. */
export function testConfig (overrides: ConfigOverrides = {}): Config {
  const base = {
    server: { host: '127.0.0.1', port: 0 },
    storage: { database: 'sqlite::memory:' },
    auth: { jwtSecret: TEST_SECRET, apiKeys: [TEST_API_KEY] },
    log: { level: 'silent' },
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
