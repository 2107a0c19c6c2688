import { Authorizer, type Attempt } from '../../../src/core/access/authorizer.js'
import type { AuthorizeHook } from '../../../src/core/access/authorize-hook.js'
import { RoleDirectory } from '../../../src/core/access/role-directory.js'
import { openDatabase } from '../../../src/core/db/database.js'
import { Hub } from '../../../src/core/hub/hub.js'
import { MemoryBroker } from '../../../src/core/hub/memory-broker.js'
import { Identity } from '../../../src/core/identity/identity.js'
import type { Principal } from '../../../src/core/connection.js'
import { loadConfig } from '../../../src/config/load.js'
import { TEST_PASSWORD_COST } from '../../helpers/config.js'

interface TestLike { teardown (fn: () => unknown): void }

export const silent = { warn () {} }

/** One node's access pieces over an in-memory database: users made through Identity, as in the app. */
export async function accessNode (t: TestLike, access: Record<string, unknown>, hook: AuthorizeHook | null = null) {
  const config = loadConfig({ overrides: { access } })
  const database = await openDatabase('sqlite::memory:')
  t.teardown(() => database.close())
  const hub = new Hub(new MemoryBroker())
  const roles = new RoleDirectory(hub, database, silent)
  const identity = new Identity(database, TEST_PASSWORD_COST)
  identity.onRolesChanged((username, inForce) => roles.announce(username, inForce))
  await roles.start()
  const authorizer = new Authorizer({ access: config.access, roles, hook })
  return { authorizer, identity, roles, config }
}

export const user = (username: string, extra: Partial<Extract<Principal, { kind: 'user' }>> = {}): Principal => ({ kind: 'user', username, admin: false, ...extra })
export const anonymous: Principal = { kind: 'anonymous', id: 'anon-1' }

/** An attempt with the connection id filled in. */
export const attempt = (protocol: Attempt['protocol'], action: Attempt['action'], resource: string, principal: Principal | null, owner?: string | null): Attempt =>
  ({ protocol, action, resource, principal, owner, connectionId: 'c1' })
