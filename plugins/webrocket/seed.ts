import { DEFAULT_VHOST_USERS, type InsecureSetting } from '../../src/config/insecure-defaults.js'
import type { WebrocketConfig } from '../../src/config/schema.js'
import { secretMatches, type WebrocketDb } from './db.js'
import { toMask } from './permissions.js'

/**
 * Start-up: every vhost of `protocols.webrocket.vhosts` is created unless it exists, and its
 * users are created or updated to what the file says (like the core `users` list). Users the
 * file seeded before and no longer lists are deleted (a user the file lists again is seeded
 * again); vhosts, users and channels added at runtime through REST are left alone.
 * Returns the deleted users, so that caches and their connections can be told.
 */
export async function seedFromConfig (db: WebrocketDb, vhosts: WebrocketConfig['vhosts']): Promise<Array<{ vhost: string, name: string }>> {
  for (const [path, vhost] of Object.entries(vhosts)) {
    await db.createVhost(path)
    for (const user of vhost.users) await db.putUser(path, user.name, user.secret, toMask(user.permissions), true, 'config')
  }
  const listed = (vhost: string, name: string) => vhosts[vhost]?.users.some((u) => u.name === name) === true
  const dropped = (await db.configUsers()).filter((u) => !listed(u.vhost, u.name))
  for (const user of dropped) await db.deleteUser(user.vhost, user.name)
  return dropped
}

/**
 * The schema's default vhost users that the config does not list (it was checked with the rest of
 * the config) but the database holds with their default secret: made through REST, or seeded
 * before users had a source.
 */
export async function defaultUsersInDatabase (db: WebrocketDb, vhosts: WebrocketConfig['vhosts']): Promise<InsecureSetting[]> {
  const found: InsecureSetting[] = []
  for (const { vhost, name, secret } of DEFAULT_VHOST_USERS) {
    if (vhosts[vhost]?.users.some((u) => u.name === name)) continue
    const row = await db.user(vhost, name)
    if (row && row.secretHash !== '' && await secretMatches(row.secretHash, secret)) {
      found.push({ path: '/protocols/webrocket/vhosts', reason: `WebRocket user ${name} of ${vhost} in the database still has its built-in default secret` })
    }
  }
  return found
}
