import { hash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { Generated, Kysely, Migration, Selectable } from 'kysely'
import type { Database } from '../../src/core/db/database.js'
import { migrate } from '../../src/core/db/migrate.js'
import { hashPassword, verifyPassword } from '../../src/core/identity/passwords.js'

// Durable WebRocket data (design.md §2 Database): vhosts, their users and their channels.
// Permissions are upstream's bitmask (spec §2.2); an empty secret hash means "any secret".

export interface VhostsTable {
  path: string
  /** Random per creation: a vhost deleted and created again is a different vhost to the caches. */
  id: string
  /** sha256 (hex) of the vhost access token; the token itself is shown only when issued. */
  token_hash: string
  created_at: string
  /** Channels clients created by subscribing (issue 14: at most `limits.channelsPerVhost`). */
  client_channels: Generated<number>
}

export interface VhostUsersTable {
  vhost: string
  name: string
  /** `scrypt$…`, or '' for a user that accepts any secret (spec §2.2). */
  secret_hash: string
  permissions: number
  /** 'config': seeded from `protocols.webrocket.vhosts` (removed when the file drops it); 'api': REST. */
  source: UserSource
}

export type UserSource = 'config' | 'api'

export interface ChannelsTable {
  vhost: string
  name: string
  created_at: string
  /** 1 when a client's `subscribe` created it (it counts against the vhost's quota), 0 for the admin API. */
  by_client: Generated<number>
}

export interface WebrocketTables {
  webrocket_vhosts: VhostsTable
  webrocket_users: VhostUsersTable
  webrocket_channels: ChannelsTable
}

const migrations: Record<string, Migration> = {
  '0001_vhosts_users_channels': {
    async up (db: Kysely<unknown>) {
      await db.schema.createTable('webrocket_vhosts')
        .addColumn('path', 'varchar(255)', (c) => c.primaryKey())
        .addColumn('id', 'varchar(32)', (c) => c.notNull())
        .addColumn('token_hash', 'varchar(64)', (c) => c.notNull())
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .execute()
      await db.schema.createTable('webrocket_users')
        .addColumn('vhost', 'varchar(255)', (c) => c.notNull())
        .addColumn('name', 'varchar(255)', (c) => c.notNull())
        .addColumn('secret_hash', 'text', (c) => c.notNull())
        .addColumn('permissions', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('webrocket_users_pk', ['vhost', 'name'])
        .execute()
      await db.schema.createTable('webrocket_channels')
        .addColumn('vhost', 'varchar(255)', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .addPrimaryKeyConstraint('webrocket_channels_pk', ['vhost', 'name'])
        .execute()
    },
  },
  // Users seeded before this could come from the config or REST: 'api', never removed by a start.
  '0002_users_source': {
    async up (db: Kysely<unknown>) {
      await db.schema.alterTable('webrocket_users').addColumn('source', 'varchar(8)', (c) => c.notNull().defaultTo('api')).execute()
    },
  },
  // Issue 14: channels clients create are counted, on the vhost row so that every node of a
  // cluster increments one counter under the row lock. Channels older than this migration count
  // as admin-created.
  '0003_client_channel_quota': {
    async up (db: Kysely<unknown>) {
      await db.schema.alterTable('webrocket_vhosts').addColumn('client_channels', 'integer', (c) => c.notNull().defaultTo(0)).execute()
      await db.schema.alterTable('webrocket_channels').addColumn('by_client', 'integer', (c) => c.notNull().defaultTo(0)).execute()
    },
  },
}

/** What a client's subscribe did to a channel: made it, found it, or found the vhost full. */
export type ClientChannel = 'created' | 'exists' | 'full'

export interface UserRow { name: string, secretHash: string, permissions: number }

/** A fresh vhost access token: 40 hex characters, like upstream's (spec §2.8 b). */
export function newAccessToken (): string {
  return randomBytes(20).toString('hex')
}

export function hashToken (token: string): string {
  return hash('sha256', token, 'hex')
}

/** An empty secret is stored as '' (accepts any secret); anything else as a scrypt hash of scrypt N `cost`. */
export function hashSecret (secret: string, cost: number): Promise<string> {
  return secret === '' ? Promise.resolve('') : hashPassword(secret, cost)
}

/**
 * Does `secret` open a user whose stored hash is `secretHash`? (spec §2.4: non-strings count as '').
 * Concurrent checks of the same credentials share one scrypt run (core verifyPassword).
 */
export function secretMatches (secretHash: string, secret: string): Promise<boolean> {
  if (secretHash === '') return Promise.resolve(true)
  return verifyPassword(secretHash, secret)
}

/** Every query the plugin makes; the only file that knows the table layout. */
export class WebrocketDb {
  readonly db: Kysely<WebrocketTables>

  /** `secretCost`: the scrypt N new secret hashes are made with (`auth.passwordHashing.cost`). */
  constructor (database: Database, private readonly secretCost: number) {
    this.db = database.tables<WebrocketTables>()
  }

  static async open (database: Database, secretCost: number): Promise<WebrocketDb> {
    await migrate(database, 'webrocket', migrations)
    return new WebrocketDb(database, secretCost)
  }

  vhost (path: string): Promise<Selectable<VhostsTable> | undefined> {
    return this.db.selectFrom('webrocket_vhosts').selectAll().where('path', '=', path).executeTakeFirst()
  }

  async vhosts (): Promise<Array<{ path: string, users: number, channels: number }>> {
    const [vhosts, users, channels] = await Promise.all([
      this.db.selectFrom('webrocket_vhosts').select('path').orderBy('path').execute(),
      this.db.selectFrom('webrocket_users').select(['vhost', (eb) => eb.fn.countAll<number | string>().as('n')]).groupBy('vhost').execute(),
      this.db.selectFrom('webrocket_channels').select(['vhost', (eb) => eb.fn.countAll<number | string>().as('n')]).groupBy('vhost').execute(),
    ])
    const count = (rows: Array<{ vhost: string, n: number | string }>) => new Map(rows.map((r) => [r.vhost, Number(r.n)]))
    const userCounts = count(users)
    const channelCounts = count(channels)
    return vhosts.map(({ path }) => ({ path, users: userCounts.get(path) ?? 0, channels: channelCounts.get(path) ?? 0 }))
  }

  /** Creates a vhost; returns its access token, or null if the path is taken. */
  async createVhost (path: string): Promise<string | null> {
    const token = newAccessToken()
    const result = await this.db.insertInto('webrocket_vhosts')
      .values({ path, id: randomBytes(12).toString('base64url'), token_hash: hashToken(token), created_at: new Date().toISOString() })
      .onConflict((oc) => oc.column('path').doNothing())
      .executeTakeFirst()
    return Number(result.numInsertedOrUpdatedRows) > 0 ? token : null
  }

  async deleteVhost (path: string): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('webrocket_users').where('vhost', '=', path).execute()
      await trx.deleteFrom('webrocket_channels').where('vhost', '=', path).execute()
      const result = await trx.deleteFrom('webrocket_vhosts').where('path', '=', path).executeTakeFirst()
      return Number(result.numDeletedRows) > 0
    })
  }

  /** A new access token for the vhost (the old one stops working), or null if there is no such vhost. */
  async regenerateToken (path: string): Promise<string | null> {
    const token = newAccessToken()
    const result = await this.db.updateTable('webrocket_vhosts').set({ token_hash: hashToken(token) }).where('path', '=', path).executeTakeFirst()
    return Number(result.numUpdatedRows) > 0 ? token : null
  }

  /** Is `token` the current access token of the vhost? (Constant time; false for an unknown vhost.) */
  async tokenMatches (path: string, token: string): Promise<boolean> {
    const row = await this.vhost(path)
    const presented = Buffer.from(hashToken(token), 'hex')
    const stored = Buffer.from(row?.token_hash ?? hashToken(newAccessToken()), 'hex')
    return timingSafeEqual(presented, stored) && row !== undefined
  }

  async users (vhost: string): Promise<UserRow[]> {
    const rows = await this.db.selectFrom('webrocket_users').select(['name', 'secret_hash', 'permissions'])
      .where('vhost', '=', vhost).orderBy('name').execute()
    return rows.map((r) => ({ name: r.name, secretHash: r.secret_hash, permissions: r.permissions }))
  }

  async user (vhost: string, name: string): Promise<UserRow | null> {
    const row = await this.db.selectFrom('webrocket_users').select(['name', 'secret_hash', 'permissions'])
      .where('vhost', '=', vhost).where('name', '=', name).executeTakeFirst()
    return row ? { name: row.name, secretHash: row.secret_hash, permissions: row.permissions } : null
  }

  /**
   * Creates or replaces a user; `replace: false` leaves an existing one alone. Returns whether
   * a row was written. The stored hash is kept when the secret did not change, so re-seeding
   * from the config at every start-up does not invalidate verification caches.
   */
  async putUser (vhost: string, name: string, secret: string, permissions: number, replace: boolean, source: UserSource): Promise<{ created: boolean, written: boolean }> {
    const existing = await this.user(vhost, name)
    if (existing && !replace) return { created: false, written: false }
    const keep = existing !== null && (existing.secretHash === '' ? secret === '' : secret !== '' && await verifyPassword(existing.secretHash, secret))
    const secretHash = keep ? existing.secretHash : await hashSecret(secret, this.secretCost)
    if (existing) {
      await this.db.updateTable('webrocket_users').set({ secret_hash: secretHash, permissions, source })
        .where('vhost', '=', vhost).where('name', '=', name).execute()
      return { created: false, written: true }
    }
    const result = await this.db.insertInto('webrocket_users').values({ vhost, name, secret_hash: secretHash, permissions, source })
      .onConflict((oc) => oc.columns(['vhost', 'name']).doNothing()).executeTakeFirst()
    const created = Number(result.numInsertedOrUpdatedRows) > 0
    return { created, written: created }
  }

  /** Every user seeded from the config file, as `[vhost, name]`. */
  async configUsers (): Promise<Array<{ vhost: string, name: string }>> {
    return this.db.selectFrom('webrocket_users').select(['vhost', 'name']).where('source', '=', 'config').execute()
  }

  async deleteUser (vhost: string, name: string): Promise<boolean> {
    const result = await this.db.deleteFrom('webrocket_users').where('vhost', '=', vhost).where('name', '=', name).executeTakeFirst()
    return Number(result.numDeletedRows) > 0
  }

  async channels (vhost: string): Promise<string[]> {
    const rows = await this.db.selectFrom('webrocket_channels').select('name').where('vhost', '=', vhost).orderBy('name').execute()
    return rows.map((r) => r.name)
  }

  async channelExists (vhost: string, name: string): Promise<boolean> {
    const row = await this.db.selectFrom('webrocket_channels').select('name').where('vhost', '=', vhost).where('name', '=', name).executeTakeFirst()
    return row !== undefined
  }

  /** Creates the channel unless it exists (any node may race us); true if this call created it. Admin: not counted. */
  async createChannel (vhost: string, name: string): Promise<boolean> {
    const result = await this.db.insertInto('webrocket_channels').values({ vhost, name, created_at: new Date().toISOString() })
      .onConflict((oc) => oc.columns(['vhost', 'name']).doNothing()).executeTakeFirst()
    return Number(result.numInsertedOrUpdatedRows) > 0
  }

  /**
   * A client's subscribe creates the channel (spec §2.4) only while the vhost has fewer than
   * `limit` client-created channels (issue 14). The counter is raised with a conditional UPDATE of
   * the vhost row in the same transaction as the insert: the row lock makes concurrent creations
   * on every node of a cluster take turns, so the quota holds cluster-wide, not per node.
   */
  async createClientChannel (vhost: string, name: string, limit: number): Promise<ClientChannel> {
    return this.db.transaction().execute(async (trx) => {
      const inserted = await trx.insertInto('webrocket_channels').values({ vhost, name, created_at: new Date().toISOString(), by_client: 1 })
        .onConflict((oc) => oc.columns(['vhost', 'name']).doNothing()).executeTakeFirst()
      if (Number(inserted.numInsertedOrUpdatedRows) === 0) return 'exists'
      const counted = await trx.updateTable('webrocket_vhosts').set((eb) => ({ client_channels: eb('client_channels', '+', 1) }))
        .where('path', '=', vhost).where('client_channels', '<', limit).executeTakeFirst()
      if (Number(counted.numUpdatedRows) > 0) return 'created'
      await trx.deleteFrom('webrocket_channels').where('vhost', '=', vhost).where('name', '=', name).execute()
      return 'full'
    })
  }

  /** Deletes a channel; one a client created gives its place in the quota back. */
  async deleteChannel (vhost: string, name: string): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('webrocket_channels').select('by_client').where('vhost', '=', vhost).where('name', '=', name).executeTakeFirst()
      const result = await trx.deleteFrom('webrocket_channels').where('vhost', '=', vhost).where('name', '=', name).executeTakeFirst()
      const deleted = Number(result.numDeletedRows) > 0
      if (deleted && row?.by_client === 1) {
        await trx.updateTable('webrocket_vhosts').set((eb) => ({ client_channels: eb('client_channels', '-', 1) }))
          .where('path', '=', vhost).where('client_channels', '>', 0).execute()
      }
      return deleted
    })
  }

  async clearChannels (vhost: string): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      const result = await trx.deleteFrom('webrocket_channels').where('vhost', '=', vhost).executeTakeFirst()
      await trx.updateTable('webrocket_vhosts').set({ client_channels: 0 }).where('path', '=', vhost).execute()
      return Number(result.numDeletedRows)
    })
  }
}
