import type { Kysely, Migration } from 'kysely'
import type { Database, Dialect } from '../../src/core/db/database.js'
import { migrate } from '../../src/core/db/migrate.js'
import { Errors, ReallyError } from './errors.js'
import { applyOps, type AppliedOp, type ObjectBody, type Op, type Model } from './models.js'
import { objectId, objectR, type R } from './resource-path.js'
import type { UserInfo } from './tokens.js'

/**
 * Really objects in the core database (spec §4.9, design.md §2), the same on SQLite and
 * PostgreSQL: one row per object (fields as JSON text, a revision, a soft-delete flag) and a
 * per-object change log so subscribers can resume from an older `rev`.
 *
 * Ids come from the database (SQLite AUTOINCREMENT, PostgreSQL BIGSERIAL): one sequence for all
 * collections, so ids never collide between nodes sharing a database and are never reused.
 */
interface ObjectsTable {
  id: number
  /** Concrete collection R the object lives in, e.g. `/users/5/posts/*\/`. */
  parent: string
  /** Model path, e.g. `/users/*\/posts/*\/`. */
  model: string
  rev: number
  deleted: number
  body: string
  updated_at: string
  /** The username that created the object (the `owner` subject of the access rules); null: anonymous, or made before owners were kept. */
  owner: string | null
}

interface ChangesTable {
  object_id: number
  rev: number
  change: string
}

interface Tables {
  really_objects: ObjectsTable
  really_changes: ChangesTable
}

/** One logged change; also the hub message of an object topic (plus `r`, `rev`). */
export type Change =
  | { evt: 'updated', ops: AppliedOp[], opBy: UserInfo }
  | { evt: 'deleted', opBy: UserInfo }

export interface StoredObject {
  id: number
  r: string
  rev: number
  deleted: boolean
  body: ObjectBody
  /** Who created it (a username), or null: nobody owns it. */
  owner: string | null
}

export const migrations = (dialect: Dialect): Record<string, Migration> => ({
  '0001_objects': {
    async up (db: Kysely<unknown>) {
      await db.schema.createTable('really_objects')
        .addColumn('id', dialect === 'postgres' ? 'bigserial' : 'integer', (c) => dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement())
        .addColumn('parent', 'varchar(1024)', (c) => c.notNull())
        .addColumn('model', 'varchar(1024)', (c) => c.notNull())
        .addColumn('rev', 'integer', (c) => c.notNull())
        .addColumn('deleted', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
        .execute()
      await db.schema.createIndex('really_objects_parent').on('really_objects').columns(['parent', 'deleted', 'id']).execute()
      await db.schema.createTable('really_changes')
        .addColumn('object_id', 'bigint', (c) => c.notNull())
        .addColumn('rev', 'integer', (c) => c.notNull())
        .addColumn('change', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('really_changes_pk', ['object_id', 'rev'])
        .execute()
    },
  },
  // Issue 16: the creator, for the `owner` subject. Objects from before it have none (null):
  // nobody owns them, so only rules that do not need an owner can admit their updates.
  '0002_objects_owner': {
    async up (db: Kysely<unknown>) {
      await db.schema.alterTable('really_objects').addColumn('owner', 'varchar(255)').execute()
    },
  },
})

const COLUMNS = ['id', 'parent', 'rev', 'deleted', 'body', 'owner'] as const

const toObject = (row: Pick<ObjectsTable, typeof COLUMNS[number]>): StoredObject => ({
  id: Number(row.id),
  r: objectR(row.parent, Number(row.id)),
  rev: Number(row.rev),
  deleted: Number(row.deleted) === 1,
  body: JSON.parse(row.body) as ObjectBody,
  owner: row.owner ?? null,
})

/** The object of a row read by its id, or null: no row, or one under another parent than `r` says. */
function objectAt (row: Pick<ObjectsTable, typeof COLUMNS[number]> | undefined, r: R): StoredObject | null {
  const object = row ? toObject(row) : null
  return object && object.r === r.text ? object : null
}

/** What `find` found at `r` if it is live; 404 `object.missing` or 410 `object.gone` otherwise. */
export function live (object: StoredObject | null, r: R): StoredObject {
  if (!object) throw new ReallyError(Errors.objectMissing(), r.text)
  if (object.deleted) throw new ReallyError(Errors.objectGone(), r.text)
  return object
}

// Another writer changed the object between our read and our write: read again and retry.
class Conflict extends Error {}
const MAX_ATTEMPTS = 8

export class ObjectStore {
  readonly #db: Kysely<Tables>

  private constructor (database: Database, private readonly changeLogSize: number) {
    this.#db = database.tables<Tables>()
  }

  static async open (database: Database, changeLogSize: number): Promise<ObjectStore> {
    await migrate(database, 'really', migrations(database.dialect))
    return new ObjectStore(database, changeLogSize)
  }

  /** The object at `r` (deleted ones too), or null if it never existed there. */
  async find (r: R): Promise<StoredObject | null> {
    const id = objectId(r)
    if (id === null) return null
    const row = await this.#db.selectFrom('really_objects').select(COLUMNS)
      .where('id', '=', id).executeTakeFirst()
    return objectAt(row, r)
  }

  /**
   * Creates an object in collection `collection` (already validated fields), owned by `owner`
   * (a username, null for an anonymous creator); nested ones need a live parent.
   */
  async create (collection: R, parent: R | null, body: ObjectBody, owner: string | null): Promise<StoredObject> {
    if (parent) {
      const above = await this.find(parent)
      if (!above || above.deleted) throw new ReallyError(Errors.parentMissing(), collection.text)
    }
    const row = await this.#db.insertInto('really_objects').values({
      parent: collection.text,
      model: collection.model,
      rev: 1,
      deleted: 0,
      body: JSON.stringify(body),
      updated_at: new Date().toISOString(),
      owner,
    } as ObjectsTable).returning('id').executeTakeFirstOrThrow()
    const id = Number(row.id)
    return { id, r: objectR(collection.text, id), rev: 1, deleted: false, body, owner }
  }

  /**
   * Applies ops to the object at `r` (spec §4.5, §4.10 item 13: a `rev` ahead of the object is
   * 420). Optimistic: the write only lands on the revision it was computed from.
   */
  async update (r: R, model: Model, rev: number, ops: Op[], opBy: UserInfo): Promise<{ rev: number, change: Change }> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#db.transaction().execute(async (trx) => {
          const current = await this.#live(trx, r)
          if (rev > current.rev) throw new ReallyError(Errors.revisionOutdated(), r.text)
          const { body, applied } = applyOps(model, current.body, ops, r.text)
          const change: Change = { evt: 'updated', ops: applied, opBy }
          await this.#write(trx, current, { body: JSON.stringify(body) }, change)
          return { rev: current.rev + 1, change }
        })
      } catch (err) {
        if (!(err instanceof Conflict) || attempt + 1 >= MAX_ATTEMPTS) throw err
      }
    }
  }

  /** Soft-deletes the object at `r`: it answers 410 `object.gone` from now on. */
  async delete (r: R, opBy: UserInfo): Promise<{ rev: number, change: Change }> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#db.transaction().execute(async (trx) => {
          const current = await this.#live(trx, r)
          const change: Change = { evt: 'deleted', opBy }
          await this.#write(trx, current, { body: '{}', deleted: 1 }, change)
          return { rev: current.rev + 1, change }
        })
      } catch (err) {
        if (!(err instanceof Conflict) || attempt + 1 >= MAX_ATTEMPTS) throw err
      }
    }
  }

  /** Every live object of a collection, in id order. */
  async list (collection: R, ascending: boolean): Promise<StoredObject[]> {
    const rows = await this.#db.selectFrom('really_objects').select(COLUMNS)
      .where('parent', '=', collection.text).where('deleted', '=', 0)
      .orderBy('id', ascending ? 'asc' : 'desc').execute()
    return rows.map(toObject)
  }

  /** Logged changes of an object after `rev`, oldest first (the log keeps the last `changeLogSize`). */
  async changesSince (id: number, rev: number): Promise<Array<{ rev: number, change: Change }>> {
    const rows = await this.#db.selectFrom('really_changes').select(['rev', 'change'])
      .where('object_id', '=', id).where('rev', '>', rev).orderBy('rev', 'asc').execute()
    return rows.map((row) => ({ rev: Number(row.rev), change: JSON.parse(row.change) as Change }))
  }

  async #live (trx: Kysely<Tables>, r: R): Promise<StoredObject> {
    const id = objectId(r)
    const row = id === null
      ? undefined
      : await trx.selectFrom('really_objects').select(COLUMNS).where('id', '=', id).executeTakeFirst()
    return live(objectAt(row, r), r)
  }

  async #write (trx: Kysely<Tables>, current: StoredObject, values: Partial<ObjectsTable>, change: Change): Promise<void> {
    const rev = current.rev + 1
    const result = await trx.updateTable('really_objects')
      .set({ ...values, rev, updated_at: new Date().toISOString() })
      .where('id', '=', current.id).where('rev', '=', current.rev).executeTakeFirst()
    if (Number(result.numUpdatedRows) !== 1) throw new Conflict()
    if (this.changeLogSize === 0) return
    await trx.insertInto('really_changes').values({ object_id: current.id, rev, change: JSON.stringify(change) }).execute()
    await trx.deleteFrom('really_changes').where('object_id', '=', current.id).where('rev', '<=', rev - this.changeLogSize).execute()
  }
}
