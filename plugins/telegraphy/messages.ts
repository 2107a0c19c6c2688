import { Type, type Static, type TSchema } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'

// TypeBox schemas of every Telegraphy frame (protocols.md §3.3–3.5). Client frames are
// validated with the compiled checkers below; server frames are documented here and built by
// the `reply` helpers so their shape lives in one place.

/** §3.3 MANAGEMENT request: `{message, id, args}`; RECONNECT may carry `session_token` at top level (§3.4). */
export const Envelope = Type.Object({
  message: Type.String({ minLength: 1 }),
  id: Type.Integer(),
  args: Type.Optional(Type.Unknown()),
  session_token: Type.Optional(Type.Unknown()),
})
export type Envelope = Static<typeof Envelope>

export const EventName = Type.String({ minLength: 1, maxLength: 256 })

/** Filters: every key must equal the same key of the event data (§3.8); `null` or `{}` match all. */
export const Filters = Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()])
export type Filters = Static<typeof Filters>

export const ConnectArgs = Type.Object({ auth_token: Type.String({ maxLength: 512 }) })
/** What CONNECT hands out and RECONNECT takes back (§3.4). */
export const SessionToken = Type.String({ minLength: 1, maxLength: 512 })
/**
 * What carries RECONNECT's token: the frame itself (the seed's example puts it at top level) or
 * its `args` (§3.4, §3.9 item 2); the top level wins when it has one.
 */
export const ReconnectArgs = Type.Object({ session_token: SessionToken })
export const SubscribeArgs = Type.Object({
  event_name: EventName,
  filters: Type.Optional(Filters),
  permanent: Type.Optional(Type.Boolean()),
  lazy: Type.Optional(Type.Boolean()),
})
export type SubscribeArgs = Static<typeof SubscribeArgs>
export const UnsubscribeArgs = Type.Object({ event_name: EventName, filters: Type.Optional(Filters) })
export type UnsubscribeArgs = Static<typeof UnsubscribeArgs>

/** The MANAGEMENT envelope with its `message` pinned and its args schema. */
const request = (message: string, args: TSchema) => Type.Object({ message: Type.Literal(message), id: Envelope.properties.id, args })

/** Every request a client can send, by name (§3.4): what the session checks, frame by frame. */
export const ClientFrames = {
  connect: request('CONNECT', ConnectArgs),
  reconnect: Type.Union([
    Type.Object({ message: Type.Literal('RECONNECT'), id: Envelope.properties.id, session_token: SessionToken, args: Envelope.properties.args }),
    request('RECONNECT', ReconnectArgs),
  ], { description: 'the session token at the top level (as the seed sends it) or in args' }),
  subscribe: request('SUBSCRIBE', SubscribeArgs),
  unsubscribe: request('UNSUBSCRIBE', UnsubscribeArgs),
} satisfies Record<string, TSchema>

export const checkEnvelope = TypeCompiler.Compile(Envelope)
export const checkConnect = TypeCompiler.Compile(ConnectArgs)
export const checkReconnect = TypeCompiler.Compile(ReconnectArgs)
export const checkSubscribe = TypeCompiler.Compile(SubscribeArgs)
export const checkUnsubscribe = TypeCompiler.Compile(UnsubscribeArgs)

// ---- server → client --------------------------------------------------------------------

const closed = { additionalProperties: false }

/** The refusals: `success: false`, a text in `data.message` (§3.4, §3.5; tests never read it, §3.9 item 6). */
export const FailureStatus = Type.Union(([
  'INVALID_TOKEN', 'INVALID_SESSION', 'CONNECT_TIMEOUT', 'ALREADY_CONNECTED', 'EVENT_NOT_REGISTERED',
  'NOT_SUBSCRIBED', 'NOT_CONNECTED', 'UNKNOWN_MESSAGE', 'INVALID_MESSAGE', 'TOO_MANY_ATTEMPTS', 'FORBIDDEN',
] as const).map((s) => Type.Literal(s)))

/**
 * §3.5 result states, plus extensions not in §3.5: ALREADY_CONNECTED (a decision recorded in the
 * README); TOO_MANY_ATTEMPTS (a CONNECT/RECONNECT refused unchecked after too many failed token
 * checks from the address, README "Throttling"); FORBIDDEN (a SUBSCRIBE the access rules deny,
 * README "Authorization").
 */
export const Status = Type.Union([Type.Literal('CONNECTED'), Type.Literal('SUBSCRIBED'), Type.Literal('UNSUBSCRIBED'), ...FailureStatus.anyOf])
export type Status = Static<typeof Status>

/** CONNECT accepted (§3.4): the session token for a later RECONNECT. */
export const ConnectedReply = Type.Object({
  success: Type.Literal(true),
  status: Type.Literal('CONNECTED'),
  id: Type.Integer(),
  data: Type.Object({ session_token: SessionToken }, closed),
}, closed)

/** SUBSCRIBE / UNSUBSCRIBE accepted (§3.4). */
export const SubscriptionReply = Type.Object({
  success: Type.Literal(true),
  status: Type.Union([Type.Literal('SUBSCRIBED'), Type.Literal('UNSUBSCRIBED')]),
  id: Type.Integer(),
  data: Type.Object({ event_name: EventName }, closed),
}, closed)

/**
 * Any refusal; `id` is null when the request had no integer id (INVALID_MESSAGE) or there was no
 * request (CONNECT_TIMEOUT). EVENT_NOT_REGISTERED and NOT_SUBSCRIBED name the event.
 */
export const FailureReply = Type.Object({
  success: Type.Literal(false),
  status: FailureStatus,
  id: Type.Union([Type.Integer(), Type.Null()]),
  data: Type.Object({ message: Type.String(), event_name: Type.Optional(EventName) }, closed),
}, closed)

/** One subscription as RECONNECT lists it. */
export const SubscriptionView = Type.Object({
  event_name: EventName,
  filters: Filters,
  permanent: Type.Boolean(),
  lazy: Type.Boolean(),
}, closed)
export type SubscriptionView = Static<typeof SubscriptionView>

/** §3.4 RECONNECT reply: the superset of the seed example and the MANAGEMENT shape. */
export const ReconnectReply = Type.Object({
  success: Type.Literal(true),
  status: Type.Literal('CONNECTED'),
  message: Type.Literal('CONNECTED'),
  id: Type.Integer(),
  subscriptions: Type.Array(SubscriptionView),
  data: Type.Object({ subscriptions: Type.Array(SubscriptionView) }, closed),
}, closed)

/** §3.4 event meta; extra keys given by the publisher are passed through. */
export const EventMeta = Type.Object({
  event_type: Type.String(),
  verbose_name: Type.String(),
  timestamp: Type.String(),
}, { additionalProperties: true })
export type EventMeta = Static<typeof EventMeta>

/**
 * §3.4 EVENT push (no `id`, no response); `name` repeats `event` (telegraphy.js wants both).
 * `data` is an object from the REST route; the in-process `emit` passes any JSON value on (README).
 */
export const EventFrame = Type.Object({
  event: EventName,
  name: EventName,
  meta: EventMeta,
  data: Type.Unknown(),
}, closed)

/** Every frame a client can receive, by name. */
export const ServerFrames = {
  connected: ConnectedReply,
  reconnected: ReconnectReply,
  subscription: SubscriptionReply,
  failure: FailureReply,
  event: EventFrame,
} satisfies Record<string, TSchema>

/** A valid server → client frame of Telegraphy. */
export const ServerFrame = Type.Union(Object.values(ServerFrames), { description: 'Telegraphy server frame' })

/** A MANAGEMENT response as text. */
export function reply (id: number | null, success: boolean, status: Status, data: Record<string, unknown> = {}): string {
  return JSON.stringify({ success, status, id, data })
}

/** The RECONNECT response as text. */
export function reconnectReply (id: number, subscriptions: SubscriptionView[]): string {
  return JSON.stringify({ success: true, status: 'CONNECTED', message: 'CONNECTED', id, subscriptions, data: { subscriptions } })
}
