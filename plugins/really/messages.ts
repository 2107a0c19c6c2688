import { Type, type Static, type TSchema } from '@sinclair/typebox'
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

// ---- server → client --------------------------------------------------------------------

export const ErrorObject = Type.Object({
  code: Type.Integer(),
  message: Type.String(),
  errors: Type.Optional(Type.Record(Type.String(), Type.Array(Type.Object({ msg: Type.String(), args: Type.Array(Type.Unknown()) })))),
})
/** `{"tag":N,"r":"…"?,"error":{…}}`; no tag when the request had none usable. */
export const ErrorReply = Type.Object({ tag: Type.Optional(Type.Number()), r: Type.Optional(Type.String()), error: ErrorObject })
export const UserInfo = Type.Object({
  authType: Type.String(), uid: Type.String(), _r: Type.Optional(Type.String()), data: Type.Record(Type.String(), Type.Unknown()),
})
/** Spec §4.10 item 1: the seed's `connection-handle` + `user`, and the UserInfo flattened (upstream code). */
export const InitializedReply = Type.Object({
  tag: Type.Number(),
  evt: Type.Literal('initialized'),
  body: Type.Intersect([Type.Object({ 'connection-handle': Type.String(), user: UserInfo }), UserInfo]),
})
export const PingedReply = Type.Object({ tag: Type.Number(), evt: Type.Literal('pinged') })
const ObjectBody = Type.Record(Type.String(), Type.Unknown(), { description: 'fields plus `_r` and `_rev`' })
export const ObjectReply = Type.Object({ tag: Type.Number(), r: Type.String(), body: ObjectBody, meta: Type.Optional(Type.Object({ fields: Type.Array(Type.String()) })) })
export const UpdateReply = Type.Object({ tag: Type.Number(), r: Type.String(), rev: Type.Integer() })
export const DeleteReply = Type.Object({ tag: Type.Number(), r: Type.String() })
export const ReadReply = Type.Object({
  tag: Type.Number(),
  r: Type.String(),
  body: Type.Object({
    tokens: Type.Optional(Type.Object({ nextToken: Type.Optional(Type.String()), prevToken: Type.Optional(Type.String()) })),
    totalResults: Type.Optional(Type.Integer()),
    items: Type.Array(Type.Object({ body: ObjectBody, meta: Type.Object({ fields: Type.Array(Type.String()) }) })),
  }),
  meta: Type.Optional(Type.Object({ subscription: Type.String() })),
})
export const SubscriptionsReply = Type.Object({ tag: Type.Number(), body: Type.Object({ subscriptions: Type.Array(Type.String()) }) })
/** Pushes never carry a tag (spec §6.2). */
export const Push = Type.Object({
  r: Type.Optional(Type.String()),
  rev: Type.Optional(Type.Integer()),
  evt: Type.Union(['updated', 'deleted', 'created', 'snapshot', 'failed', 'kicked', 'token-expired'].map((e) => Type.Literal(e))),
  body: Type.Optional(Type.Unknown()),
  meta: Type.Optional(Type.Object({ opBy: Type.Optional(UserInfo) })),
  error: Type.Optional(ErrorObject),
})

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
