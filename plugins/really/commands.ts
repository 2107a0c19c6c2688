import { ownerName, ownerOf, requireAllowed, type Caller } from './access.js'
import type { ReallyContext } from './context.js'
import { topicOf } from './context.js'
import { Errors, flatError, ReallyError } from './errors.js'
import {
  checkCreate, checkDelete, checkGet, checkRead, checkUpdate, flatErrors,
  type CreateRequest, type DeleteRequest, type GetRequest, type ReadOptions, type ReadRequest, type UpdateRequest,
} from './messages.js'
import { project, validateNew, type Model, type ObjectBody, type Op } from './models.js'
import { matches, parseFilter } from './query.js'
import { collectionOf, hasConcreteParents, parentOf, parseR, type R } from './resource-path.js'
import { live, type StoredObject } from './store.js'
import type { TypeCheck } from '@sinclair/typebox/compiler'
import type { TSchema, Static } from '@sinclair/typebox'
import { refuseReservedField, refuseReservedKeys } from './limits.js'

/** A reply without its tag; the session adds the request's tag (spec §4.3). */
export type Reply = Record<string, unknown>

/** Validates a request's shape: 409 `validation.failed` with Play-style errors otherwise. */
export function validate<T extends TSchema> (check: TypeCheck<T>, frame: unknown): Static<T> {
  if (!check.Check(frame)) throw new ReallyError(Errors.validationFailed(flatErrors(check, frame)), rOf(frame))
  return frame
}

const rOf = (frame: unknown): string | undefined => {
  const r = parseR((frame as { r?: unknown }).r)
  return r?.text
}

/** Parses the request R: an object R or a collection R as `kind` asks, with a known model. */
export function resolveR (ctx: ReallyContext, text: string, kind: 'object' | 'collection'): { r: R, model: Model } {
  const r = parseR(text)
  if (!r || (kind === 'object') !== r.isObject || !hasConcreteParents(r)) {
    throw new ReallyError(Errors.validationFailed(flatError('obj.r', kind === 'object' ? 'error.object.r.expected' : 'error.collection.r.expected')), r?.text)
  }
  const model = ctx.models.get(r.model)
  if (!model) throw new ReallyError(Errors.modelUnknown(), r.text)
  return { r, model }
}

/** The fields a client asked for, all of them known to the model (empty = every field). */
export function checkFields (model: Model, fields: readonly string[] | undefined, path: string): string[] {
  const wanted = [...new Set(fields ?? [])]
  const unknown = wanted.filter((f) => !model.fields[f])
  if (unknown.length > 0) throw new ReallyError(Errors.validationFailed(flatError(path, 'error.unknown.fields', ...unknown)))
  return wanted
}

/** An object as replies and pushes show it: its (projected) fields plus `_r` and `_rev`. */
export function view (object: Pick<StoredObject, 'r' | 'rev' | 'body'>, fields: readonly string[]): ObjectBody {
  return { ...project(object.body, fields), _r: object.r, _rev: object.rev }
}

const fieldList = (model: Model, fields: readonly string[]) => fields.length > 0 ? [...fields] : Object.keys(model.fields)

async function publish (ctx: ReallyContext, r: string, data: unknown): Promise<void> {
  try {
    await ctx.services.hub.publish(topicOf(r), data)
  } catch {
    // The write is durable; subscribers that missed the push catch up from the change log.
  }
}

/*
 * Each command asks the authorizer once (README "Authorization"), after the request's shape and
 * its R are known to be valid and before anything is stored or shown: `create` on the
 * collection R, `get` (`read`), `update` and `delete` on the object R with its owner, `read` on
 * the collection R. A denial is 403 `forbidden` with the R. Objects are looked up before the
 * question, so a caller denied an object learns nothing of it, not even whether it exists.
 */

export async function create (ctx: ReallyContext, caller: Caller, frame: unknown): Promise<Reply> {
  const request: CreateRequest = validate(checkCreate, frame)
  const { r, model } = resolveR(ctx, request.r, 'collection')
  await requireAllowed(ctx, caller, 'create', r.text)
  refuseReservedKeys(request.body, 'obj.body', r.text)
  const body = validateNew(model, request.body, r.text)
  const parent = parentOf(r)
  const object = await ctx.store.create(r, parent ? parseR(parent) : null, body, ownerName(caller))
  const shown = view(object, [])
  await publish(ctx, r.text, { r: r.text, evt: 'created', body: shown, opBy: caller.user })
  // Spec §4.10 item 9: `r` is the new object's R (upstream code), normalised.
  return { r: object.r, body: shown }
}

export async function get (ctx: ReallyContext, caller: Caller, frame: unknown): Promise<Reply> {
  const request: GetRequest = validate(checkGet, frame)
  const { r, model } = resolveR(ctx, request.r, 'object')
  const fields = checkFields(model, request.cmdOpts?.fields, 'obj.cmdOpts.fields')
  const found = await ctx.store.find(r)
  await requireAllowed(ctx, caller, 'read', r.text, found?.owner ?? null)
  const object = live(found, r)
  return { r: object.r, body: view(object, fields), meta: { fields: fieldList(model, fields) } }
}

export async function update (ctx: ReallyContext, caller: Caller, frame: unknown): Promise<Reply> {
  const request: UpdateRequest = validate(checkUpdate, frame)
  const { r, model } = resolveR(ctx, request.r, 'object')
  request.body.ops.forEach(({ op, key, value }, i) => {
    // Spec §4.10 item 12: only set and addNumber.
    if (op !== 'set' && op !== 'addNumber') throw new ReallyError(Errors.validationFailed(flatError(`obj.body.ops[${i}].op`, 'error.unsupported.command', op)), r.text)
    refuseReservedField(key, `obj.body.ops[${i}].key`, r.text)
    refuseReservedKeys(value, `obj.body.ops[${i}].value`, r.text)
  })
  await requireAllowed(ctx, caller, 'update', r.text, await ownerOf(ctx, r))
  const { rev, change } = await ctx.store.update(r, model, request.rev, request.body.ops as Op[], caller.user)
  await publish(ctx, r.text, { r: r.text, rev, ...change })
  return { r: r.text, rev }
}

export async function remove (ctx: ReallyContext, caller: Caller, frame: unknown): Promise<Reply> {
  const request: DeleteRequest = validate(checkDelete, frame)
  const { r } = resolveR(ctx, request.r, 'object')
  await requireAllowed(ctx, caller, 'delete', r.text, await ownerOf(ctx, r))
  const { rev, change } = await ctx.store.delete(r, caller.user)
  await publish(ctx, r.text, { r: r.text, rev, ...change })
  return { r: r.text }
}

// Pagination tokens: opaque to clients; `n:<id>` = after that id, `p:<id>` = before it, in the request's order.
const encodeToken = (direction: 'n' | 'p', id: number) => Buffer.from(`${direction}:${id}`).toString('base64url')
function decodeToken (token: string): { direction: 'n' | 'p', id: number } {
  const match = /^([np]):(\d{1,19})$/.exec(Buffer.from(token, 'base64url').toString())
  if (!match) throw new ReallyError(Errors.validationFailed(flatError('obj.cmdOpts.paginationToken', 'error.invalid')))
  return { direction: match[1] as 'n' | 'p', id: Number(match[2]) }
}

export interface ReadResult { reply: Reply, r: R, model: Model, fields: string[], objects: StoredObject[] }

/**
 * `read` (spec §4.5): the collection's live objects filtered by the query, ordered by id
 * (`ascending`, default false = newest first), then paginated (token, skip, limit default 10).
 * Allowed to read the collection R, the caller gets its objects: they are not asked one by one
 * (README "Authorization": `read` of a collection).
 */
export async function read (ctx: ReallyContext, caller: Caller, frame: unknown): Promise<ReadResult> {
  const request: ReadRequest = validate(checkRead, frame)
  const { r, model } = resolveR(ctx, request.r, 'collection')
  await requireAllowed(ctx, caller, 'read', r.text)
  const opts: ReadOptions = request.cmdOpts ?? {}
  const fields = checkFields(model, opts.fields, 'obj.cmdOpts.fields')
  const conditions = opts.query ? parseFilter(opts.query.filter, opts.query.values ?? {}, model) : []
  const token = opts.paginationToken ? decodeToken(opts.paginationToken) : null
  const ascending = opts.ascending ?? false
  const limit = opts.limit ?? 10
  const all = (await ctx.store.list(r, ascending)).filter((o) => matches(o.body, conditions))
  const beyond = (id: number, pivot: number) => ascending ? id > pivot : id < pivot
  let start = 0
  if (token?.direction === 'n') {
    start = all.findIndex((o) => beyond(o.id, token.id))
    if (start < 0) start = all.length
  } else if (token?.direction === 'p') {
    let end = all.findIndex((o) => !beyond(token.id, o.id))
    if (end < 0) end = all.length
    start = Math.max(0, end - limit)
  }
  start += opts.skip ?? 0
  const page = all.slice(start, start + limit)
  const tokens: Record<string, string> = {}
  if (page.length > 0 && start + page.length < all.length) tokens.nextToken = encodeToken('n', page[page.length - 1].id)
  if (page.length > 0 && start > 0) tokens.prevToken = encodeToken('p', page[0].id)
  const body: Reply = {
    items: page.map((o) => ({ body: view(o, fields), meta: { fields: fieldList(model, fields) } })),
  }
  if (Object.keys(tokens).length > 0) body.tokens = tokens
  if (opts.includeTotalCount) body.totalResults = all.length
  return { reply: { r: collectionOf(r), body }, r, model, fields, objects: page }
}
