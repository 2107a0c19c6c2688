import type { WebrocketConfig } from '../../src/config/schema.js'
import type { WebrocketDb } from './db.js'
import { toMask } from './permissions.js'

/**
 * Start-up: every vhost of `protocols.webrocket.vhosts` is created unless it exists, and its
 * users are created or updated to what the file says (like the core `users` list). Vhosts,
 * users and channels added at runtime through REST are left alone.
 */
export async function seedFromConfig (db: WebrocketDb, vhosts: WebrocketConfig['vhosts']): Promise<void> {
  for (const [path, vhost] of Object.entries(vhosts)) {
    await db.createVhost(path)
    for (const user of vhost.users) await db.putUser(path, user.name, user.secret, toMask(user.permissions), true)
  }
}
