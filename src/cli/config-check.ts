import { buildApp } from '../app.js'
import type { Config } from '../config/schema.js'

/**
 * Runs every check start-up runs on a config (issue 18: `config check` passed what the server
 * then refused): the app is built — services, every plugin registering with its options — on
 * an in-memory database and without Redis, so nothing is written anywhere and no dependency
 * needs to be reachable; then closed. Throws what start-up would have thrown.
 */
export async function checkStartsUp (config: Config, production: boolean): Promise<void> {
  const inMemory: Config = { ...config, storage: { ...config.storage, database: 'sqlite::memory:', redis: null } }
  const app = await buildApp(inMemory, { logger: false, production })
  await app.close()
}
