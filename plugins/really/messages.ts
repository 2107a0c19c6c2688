import { Type, type Static, type TObject, type TSchema } from '@sinclair/typebox'
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler'
import { ValueErrorType } from '@sinclair/typebox/errors'
import type { CommandError } from './errors.js'

/*
 * Every frame of the Really wire protocol (spec §4.3–§4.5). Client frames are validated with
 * the compiled checkers below; server frames are documented here and built in session.ts.
 */

// ---- client → server ------------------------------------------------------------------

/** Before `initialize` (spec §4.4 item 1): tag, cmd and accessToken are all required. */
export const InitializeRequest = Type.Object({
  tag: Type.Number(),
  cmd: Type.String(),
  accessToken: Type.String(),
  traceId: Type.Optional(Type.String()),
})

/** After `initialize` (spec §4.4 item 2, §4.10 item 7): every request has a numeric tag and a cmd. */
export const Envelope = Type.Object({ tag: Type.Number(), cmd: Type.String(), traceId: Type.Optional(Type.String()) })

const Fields = Type.Array(Type.String({ minLength: 1 }), { maxItems: 256 })

export const CreateRequest = Type.Object({ r: Type.String(), body: Type.Record(Type.String(), Type.Unknown()) })

export const GetRequest = Type.Object({ r: Type.String(), cmdOpts: Type.Optional(Type.Object({ fields: Fields })) })

export const UpdateOp = Type.Object({ op: Type.String(), key: Type.String({ minLength: 1 }), value: Type.Unknown() })
export const UpdateRequest = Type.Object({
  r: Type.String(),
  rev: Type.Integer({ minimum: 0 }),
  body: Type.Object({ ops: Type.Array(UpdateOp, { minItems: 1, maxItems: 256 }) }),
})

export const DeleteRequest = Type.Object({ r: Type.String() })

export const ReadOptions = Type.Object({
  fields: Type.Optional(Fields),
  query: Type.Optional(Type.Object({
    filter: Type.String({ maxLength: 4096 }),
    values: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  ascending: Type.Optional(Type.Boolean()),
  paginationToken: Type.Optional(Type.String({ maxLength: 256 })),
  skip: Type.Optional(Type.Integer({ minimum: 0 })),
  includeTotalCount: Type.Optional(Type.Boolean()),
  subscribe: Type.Optional(Type.Boolean()),
})
export const ReadRequest = Type.Object({ r: Type.String(), cmdOpts: Type.Optional(ReadOptions) })

export const SubscriptionOp = Type.Object({ r: Type.String(), rev: Type.Integer({ minimum: 0 }), fields: Type.Optional(Fields) })
export const SubscribeRequest = Type.Object({
  body: Type.Object({ subscriptions: Type.Array(SubscriptionOp, { maxItems: 1000 }) }),
})

export const UnsubscribeRequest = Type.Object({
  body: Type.Object({ subscriptions: Type.Array(Type.String(), { maxItems: 1000 }) }),
})

export type CreateRequest = Static<typeof CreateRequest>
export type GetRequest = Static<typeof GetRequest>
export type UpdateRequest = Static<typeof UpdateRequest>
export type DeleteRequest = Static<typeof DeleteRequest>
export type ReadRequest = Static<typeof ReadRequest>
export type ReadOptions = Static<typeof ReadOptions>
export type SubscribeRequest = Static<typeof SubscribeRequest>
export type UnsubscribeRequest = Static<typeof UnsubscribeRequest>

/** A command after `initialize`: the envelope with its `cmd` pinned and the command's own fields. */
const command = (cmd: string, fields: TObject = Type.Object({})) =>
  Type.Object({ ...Envelope.properties, cmd: Type.Literal(cmd), ...fields.properties })

/**
 * Every frame a client can send, by name (§4.4, §4.5): the session checks the envelope, then
 * the command's own schema. `cmd` is matched case-insensitively; the lower case is documented.
 */
export const ClientFrames = {
  initialize: Type.Object({ ...InitializeRequest.properties, cmd: Type.Literal('initialize') }),
  ping: command('ping'),
  create: command('create', CreateRequest),
  get: command('get', GetRequest),
  update: command('update', UpdateRequest),
  delete: command('delete', DeleteRequest),
  read: command('read', ReadRequest),
  subscribe: command('subscribe', SubscribeRequest),
  unsubscribe: command('unsubscribe', UnsubscribeRequest),
} satisfies Record<string, TSchema>

// ---- server → client --------------------------------------------------------------------

const closed = { additionalProperties: false }

// Rs as the server writes them, always normalised (§4.3 R; r.ts): `/users/123/`, `/users/*/`.
const TOKEN = '/[A-Za-z_$][A-Za-z0-9_$-]*/(?:[0-9]+|\\*)'
export const R = Type.String({ pattern: `^(?:${TOKEN})+/$`, description: 'normalised R' })
export const ObjectR = Type.String({ pattern: `^(?:${TOKEN})*/[A-Za-z_$][A-Za-z0-9_$-]*/[0-9]+/$`, description: 'normalised object R' })
export const CollectionR = Type.String({ pattern: `^(?:${TOKEN})*/[A-Za-z_$][A-Za-z0-9_$-]*/\\*/$`, description: 'normalised collection R' })

export const ErrorObject = Type.Object({
  code: Type.Integer(),
  message: Type.String(),
  /** §4.6 ValidationFailed: Play 2.3's flat shape, `{"obj.<path>": [{"msg": "<key>", "args": []}]}`. */
  errors: Type.Optional(Type.Record(Type.String(), Type.Array(Type.Object({ msg: Type.String(), args: Type.Array(Type.Unknown()) }, closed)))),
}, closed)

/**
 * `{"tag":N,"r":"…"?,"error":{…}}` (§4.3); no tag when the request had none usable (§4.4). `r`
 * is the request's, normalised when it parsed, as sent when a request failed inside (§4.7).
 */
export const ErrorReply = Type.Object({ tag: Type.Optional(Type.Number()), r: Type.Optional(Type.String()), error: ErrorObject }, closed)

/** UserInfo (§4.4, §4.8 claims; §4.10 item 14 for `password`). */
export const UserInfo = Type.Object({
  authType: Type.Union([Type.Literal('anonymous'), Type.Literal('email'), Type.Literal('password')]),
  uid: Type.String({ minLength: 1 }),
  _r: Type.Optional(ObjectR),
  data: Type.Record(Type.String(), Type.Unknown()),
}, closed)

/** Spec §4.10 item 1: the seed's `connection-handle` + `user`, and the UserInfo flattened (upstream code). */
export const InitializedReply = Type.Object({
  tag: Type.Number(),
  evt: Type.Literal('initialized'),
  body: Type.Object({ 'connection-handle': Type.String(), user: UserInfo, ...UserInfo.properties }, closed),
}, closed)

/** §4.10 item 3. */
export const PingedReply = Type.Object({ tag: Type.Number(), evt: Type.Literal('pinged') }, closed)

/** An object as replies and pushes show it: its (projected) fields plus `_r` and `_rev`. */
export const ObjectBody = Type.Object({ _r: ObjectR, _rev: Type.Integer({ minimum: 1 }) }, { additionalProperties: true, description: 'fields plus `_r` and `_rev`' })
const FieldList = Type.Object({ fields: Type.Array(Type.String()) }, closed)

/** `create` (§4.5, §4.10 item 9: `r` is the new object's). */
export const CreateReply = Type.Object({ tag: Type.Number(), r: ObjectR, body: ObjectBody }, closed)
/** `get` (§4.5): the fields asked for (all of the model's when none). */
export const GetReply = Type.Object({ tag: Type.Number(), r: ObjectR, body: ObjectBody, meta: FieldList }, closed)
export const UpdateReply = Type.Object({ tag: Type.Number(), r: ObjectR, rev: Type.Integer({ minimum: 1 }) }, closed)
export const DeleteReply = Type.Object({ tag: Type.Number(), r: ObjectR }, closed)
/** `read` (§4.5); `meta.subscription` only with `cmdOpts.subscribe`. */
export const ReadReply = Type.Object({
  tag: Type.Number(),
  r: CollectionR,
  body: Type.Object({
    tokens: Type.Optional(Type.Object({ nextToken: Type.Optional(Type.String()), prevToken: Type.Optional(Type.String()) }, closed)),
    totalResults: Type.Optional(Type.Integer({ minimum: 0 })),
    items: Type.Array(Type.Object({ body: ObjectBody, meta: FieldList }, closed)),
  }, closed),
  meta: Type.Optional(Type.Object({ subscription: CollectionR }, closed)),
}, closed)
/** `subscribe` and `unsubscribe` (§4.10 items 10, 11, 15): the normalised Rs. */
export const SubscriptionsReply = Type.Object({ tag: Type.Number(), body: Type.Object({ subscriptions: Type.Array(R) }, closed) }, closed)

// Pushes never carry a tag (§6.2); `meta.opBy` is who made the change (§4.5 "Server pushes").
const OpBy = Type.Object({ opBy: UserInfo }, closed)

/** `{field: {op, opValue, value}}`: upstream's op and its value, plus the field's new value. */
export const UpdatedPush = Type.Object({
  r: ObjectR,
  rev: Type.Integer({ minimum: 1 }),
  evt: Type.Literal('updated'),
  body: Type.Record(Type.String(), Type.Object({ op: Type.String(), opValue: Type.Unknown(), value: Type.Unknown() }, closed)),
  meta: OpBy,
}, closed)
export const DeletedPush = Type.Object({ r: ObjectR, rev: Type.Integer({ minimum: 1 }), evt: Type.Literal('deleted'), meta: OpBy }, closed)
/** To collection subscribers; `r` is the collection (§4.11 PushMessageWritesSpec). */
export const CreatedPush = Type.Object({ r: CollectionR, evt: Type.Literal('created'), body: ObjectBody, meta: OpBy }, closed)
/** The change log no longer reaches back to the subscriber's revision (§4.5). */
export const SnapshotPush = Type.Object({ r: ObjectR, rev: Type.Integer({ minimum: 1 }), evt: Type.Literal('snapshot'), body: ObjectBody }, closed)
/** A subscription that could not start or stopped (§4.5 `failed`). */
export const FailedPush = Type.Object({ r: R, evt: Type.Literal('failed'), error: ErrorObject }, closed)
/** Idle (§4.7) or not initialized within `authWindow` (README), then closed. */
export const KickedPush = Type.Object({ evt: Type.Literal('kicked'), error: ErrorObject }, closed)
/** §4.7, §4.10 item 5, then closed. */
export const TokenExpiredPush = Type.Object({ evt: Type.Literal('token-expired') }, closed)

/** Every frame a client can receive, by name. */
export const ServerFrames = {
  error: ErrorReply,
  initialized: InitializedReply,
  pinged: PingedReply,
  created: CreateReply,
  got: GetReply,
  updated: UpdateReply,
  deleted: DeleteReply,
  readReply: ReadReply,
  subscriptions: SubscriptionsReply,
  updatedPush: UpdatedPush,
  deletedPush: DeletedPush,
  createdPush: CreatedPush,
  snapshotPush: SnapshotPush,
  failedPush: FailedPush,
  kicked: KickedPush,
  tokenExpired: TokenExpiredPush,
} satisfies Record<string, TSchema>

/** A valid server → client frame of Really. */
export const ServerFrame = Type.Union(Object.values(ServerFrames), { description: 'Really server frame' })

// ---- validation -------------------------------------------------------------------------

export const compile = <T extends TSchema>(schema: T): TypeCheck<T> => TypeCompiler.Compile(schema)

export const checkInitialize = compile(InitializeRequest)
export const checkEnvelope = compile(Envelope)
export const checkCreate = compile(CreateRequest)
export const checkGet = compile(GetRequest)
export const checkUpdate = compile(UpdateRequest)
export const checkDelete = compile(DeleteRequest)
export const checkRead = compile(ReadRequest)
export const checkSubscribe = compile(SubscribeRequest)
export const checkUnsubscribe = compile(UnsubscribeRequest)

/** TypeBox errors in Play's flat shape (spec §4.6 ValidationFailed): `obj.body.ops[0].op`. */
export function flatErrors (check: TypeCheck<TSchema>, value: unknown): NonNullable<CommandError['errors']> {
  const out: NonNullable<CommandError['errors']> = {}
  for (const error of check.Errors(value)) {
    const path = 'obj' + error.path.split('/').slice(1).map((p) => /^\d+$/.test(p) ? `[${p}]` : `.${p}`).join('')
    if (out[path]) continue
    const msg = error.type === ValueErrorType.ObjectRequiredProperty ? 'error.path.missing' : 'error.invalid'
    out[path] = [{ msg, args: msg === 'error.invalid' ? [error.message] : [] }]
    if (Object.keys(out).length >= 20) break
  }
  return out
}
