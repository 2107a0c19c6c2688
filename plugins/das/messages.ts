import { Type, type Static, type TProperties, type TSchema } from '@sinclair/typebox'
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler'

/**
 * Every frame of the DAS realtime API (protocols.md §5.3). On the wire each one is a
 * Socket.IO event whose name is the message type and whose single argument is the object
 * below. Client messages are checked with the compiled validators at the bottom; anything
 * that fails gets the spec's error reply (§5.8 items 9, 10, 12), never an exception.
 */

/** Request id echoed as `resp_id` (§5.8 item 4); the seed says integer, strings are tolerated. */
export const RequestId = Type.Union([Type.Integer(), Type.String()])

// ---- client → server -------------------------------------------------------------------

/**
 * `authorization` (§5.3, §5.6). The token key is `authorization` in the code and
 * `Authorization` in the seed; it is looked up case-insensitively (§5.8 item 1), so the
 * schema only pins the keys with a fixed spelling.
 */
export const AuthorizationMessage = Type.Object({
  type: Type.String(),
  id: RequestId,
}, { additionalProperties: true })

/** `bbox`: `"west,south,east,north"`; empty string or null clears it (§5.8 item 9). */
export const BboxMessage = Type.Object({
  data: Type.Union([Type.String(), Type.Null()]),
  id: Type.Optional(RequestId),
}, { additionalProperties: true })

/** `event_filter`, e.g. `{"text":"arrest"}`, `{}`, `{"filter":{...},"state":[..]}` (§5.3). */
export const EventFilterMessage = Type.Object({
  text: Type.Optional(Type.String()),
  state: Type.Optional(Type.Array(Type.String())),
  filter: Type.Optional(Type.Object({
    event_type: Type.Optional(Type.Array(Type.String())),
    event_category: Type.Optional(Type.Array(Type.String())),
    priority: Type.Optional(Type.Array(Type.Number())),
  }, { additionalProperties: true })),
  id: Type.Optional(RequestId),
}, { additionalProperties: true })

/** `patrol_filter`, e.g. `{"filter":{...},"status":[..]}` (§5.3). */
export const PatrolFilterMessage = Type.Object({
  status: Type.Optional(Type.Array(Type.String())),
  filter: Type.Optional(Type.Object({}, { additionalProperties: true })),
  id: Type.Optional(RequestId),
}, { additionalProperties: true })

/** `echo`: app-level ping `{"data": X}` (§5.3). */
export const EchoMessage = Type.Object({
  data: Type.Optional(Type.Unknown()),
  id: Type.Optional(RequestId),
}, { additionalProperties: true })

export type AuthorizationMessage = Static<typeof AuthorizationMessage>
export type BboxMessage = Static<typeof BboxMessage>
export type EventFilter = Static<typeof EventFilterMessage>
export type PatrolFilter = Static<typeof PatrolFilterMessage>
export type EchoMessage = Static<typeof EchoMessage>

/** Every event a client can send, by event name, with the schema of its one argument (§5.3). */
export const ClientEvents = {
  authorization: AuthorizationMessage,
  bbox: BboxMessage,
  event_filter: EventFilterMessage,
  patrol_filter: PatrolFilterMessage,
  echo: EchoMessage,
} satisfies Record<string, TSchema>
export type ClientEventName = keyof typeof ClientEvents

// ---- server → client -------------------------------------------------------------------

const closed = { additionalProperties: false }

/**
 * `resp_authorization` status (§5.3): 200 OK, 400 malformed (then dropped), 401 bad token or an
 * exception, 403 a token the access rules allow no event type (README "Authorization"), 429 refused
 * unchecked past the failure budget (README "Throttling", then dropped).
 */
export const Status = Type.Object({
  code: Type.Union([Type.Literal(200), Type.Literal(400), Type.Literal(401), Type.Literal(403), Type.Literal(429)]),
  message: Type.String(),
}, closed)

/** §5.3; `resp_id` null when the request had no usable id (§5.8 item 12); `type` always (§5.8 item 5). */
export const RespAuthorization = Type.Object({
  type: Type.Literal('resp_authorization'),
  resp_id: Type.Union([RequestId, Type.Null()]),
  status: Status,
}, closed)

/** §5.3, `connectAckDelay` after connect, authenticated or not. */
export const ConnectAck = Type.Object({ type: Type.Literal('connect_ack'), message: Type.Literal('Connect acknowledgment.') }, closed)

export const Bbox = Type.Object({ west: Type.Number(), south: Type.Number(), east: Type.Number(), north: Type.Number() }, closed)
export type Bbox = Static<typeof Bbox>

/** `resp_id` echoes the request's id when it had one (§5.8 item 4). */
const RespId = Type.Optional(RequestId)

/** §5.3; `bbox: null` when cleared (§5.8 item 9); a bad bbox gets a failure (upstream: no reply). */
export const BboxResp = Type.Union([
  Type.Object({ type: Type.Literal('bbox_resp'), message: Type.Literal('bbox saved.'), bbox: Type.Union([Bbox, Type.Null()]), resp_id: RespId }, closed),
  Type.Object({ type: Type.Literal('bbox_resp'), message: Type.Literal('Failed to set bbox.'), error: Type.String(), resp_id: RespId }, closed),
])

/** `event_filter_response` / `patrol_filter_response` (§5.3): no `type` key; the saved filter or why not. */
function filterResponse (event: 'event_filter' | 'patrol_filter', saved: string) {
  return Type.Union([
    Type.Object({ message: Type.Literal(saved), filter: Type.Record(Type.String(), Type.Unknown()), resp_id: RespId }, closed),
    Type.Object({ message: Type.Literal(`Failed to set ${event}.`), error: Type.String(), resp_id: RespId }, closed),
  ])
}
export const EventFilterResponse = filterResponse('event_filter', 'Event filter has been saved.')
export const PatrolFilterResponse = filterResponse('patrol_filter', 'Patrol filter has been saved.')

/** §5.3: `message` is the echoed data; `resp_id` 5 upstream, the request's id when it had one (§5.8 item 4). */
export const EchoResp = Type.Union([
  Type.Object({ type: Type.Literal('echo_resp'), resp_id: RequestId, message: Type.Unknown() }, closed),
  Type.Object({ type: Type.Literal('echo_resp'), resp_id: RequestId, message: Type.Null(), error: Type.String() }, closed),
])

/** Data events (§5.3 `supported_message_types` plus the seed's `subject_update`). */
export const DATA_EVENT_TYPES = [
  'new_event', 'update_event', 'delete_event', 'count_event', 'service_status', 'subject_status',
  'subject_track_merge', 'new_patrol', 'update_patrol', 'delete_patrol', 'radio_message',
  'delete_message', 'new_announcement', 'subject_update',
] as const
export type DataEventType = typeof DATA_EVENT_TYPES[number]

export function isDataEventType (type: string): type is DataEventType {
  return (DATA_EVENT_TYPES as readonly string[]).includes(type)
}

/** Types emitted without `trace_id` and without an acknowledgement (§5.3). */
export const UNTRACED_TYPES: ReadonlySet<string> = new Set(['service_status'])

/** Per socket and per type, from 1 (§5.3). */
const Mid = Type.Integer({ minimum: 1 })
/** `trace-<sid>-<unix time float>` (§5.3), which the client acknowledges. */
const TraceId = Type.String({ pattern: '^trace-.+-[0-9]+\\.[0-9]{6}$' })

/**
 * A data event as §5.3/§5.7 describe it: the producer's data (kept as is, its own `type` winning,
 * e.g. a GeoJSON Feature for `subject_status`) plus `mid` and, except for `service_status`, `trace_id`.
 */
function dataEvent (type: DataEventType): TSchema {
  const properties: TProperties = { type: Type.String(), mid: Mid }
  properties.trace_id = UNTRACED_TYPES.has(type) ? Type.Optional(Type.Never()) : TraceId
  // `matches_current_filter`: the socket's event_filter evaluated on the event (README).
  if (type === 'new_event' || type === 'update_event') properties.matches_current_filter = Type.Boolean()
  return Type.Object(properties, { additionalProperties: true })
}

/** The seed's `subject_update`: `{type, data: {...subject, track?}}` (§5.7 decision). */
export const SubjectUpdate = Type.Object({
  type: Type.Literal('subject_update'),
  data: Type.Record(Type.String(), Type.Unknown()),
  mid: Mid,
  trace_id: TraceId,
}, closed)

/**
 * Every event a client can receive on the namespace, by event name, with the schema of its one
 * argument (§5.2: event name = message type). Nothing else is ever emitted.
 */
export const ServerEvents: Readonly<Record<ServerEventName, TSchema>> = {
  connect_ack: ConnectAck,
  resp_authorization: RespAuthorization,
  bbox_resp: BboxResp,
  event_filter_response: EventFilterResponse,
  patrol_filter_response: PatrolFilterResponse,
  echo_resp: EchoResp,
  ...Object.fromEntries(DATA_EVENT_TYPES.map((type) => [type, type === 'subject_update' ? SubjectUpdate : dataEvent(type)])) as Record<DataEventType, TSchema>,
}
export type ServerEventName = 'connect_ack' | 'resp_authorization' | 'bbox_resp' | 'event_filter_response' | 'patrol_filter_response' | 'echo_resp' | DataEventType

// ---- node → node (and REST bodies) -------------------------------------------------------

/** Most subject groups one delivery may name. */
export const MAX_SUBJECT_GROUPS = 64

/**
 * The subject groups a delivery concerns (README "Authorization"): a socket gets it only when it
 * may receive one of them (`subject_group.<name>`) as well as its type.
 */
const SubjectGroups = Type.Array(Type.String({ minLength: 1, maxLength: 255 }), {
  maxItems: MAX_SUBJECT_GROUPS,
  description: 'Subject groups the delivery concerns; only sockets allowed one of them (resource `subject_group.<name>`) get it',
})

export const EmitRequestBody = Type.Object({
  type: Type.String({ description: `One of ${DATA_EVENT_TYPES.join(', ')}` }),
  data: Type.Object({}, { additionalProperties: true, description: 'Producer payload; `mid` and `trace_id` are added per socket' }),
  sid: Type.Optional(Type.String({ minLength: 1, description: 'Only the socket with this id' })),
  username: Type.Optional(Type.String({ minLength: 1, description: 'Only the sockets of this user' })),
  subjectGroups: Type.Optional(SubjectGroups),
})

export const SubjectUpdateBody = Type.Object({
  subject: Type.Object({}, { additionalProperties: true, description: 'One subject; its last position decides the bbox match' }),
  track: Type.Optional(Type.Unknown({ description: 'Latest GeoJSON track, added as `data.track` for authorised users' })),
  trackUsers: Type.Optional(Type.Array(Type.String(), { description: 'Users allowed to see the track; omitted = every recipient' })),
  subjectGroups: Type.Optional(SubjectGroups),
})

const JsonObject = Type.Record(Type.String(), Type.Unknown())

/**
 * A delivery as it crosses the hub (delivery-feed.ts): published by the node that got the REST
 * call, checked by every node that receives it (nodes of mixed versions may share a cluster).
 */
export const Delivery = Type.Union([
  Type.Object({
    kind: Type.Literal('emit'),
    type: Type.Union(DATA_EVENT_TYPES.map((type) => Type.Literal(type))),
    data: JsonObject,
    sid: Type.Optional(Type.String()),
    username: Type.Optional(Type.String()),
    subjectGroups: Type.Optional(Type.Array(Type.String())),
  }),
  Type.Object({
    kind: Type.Literal('subject'),
    subject: JsonObject,
    track: Type.Optional(Type.Unknown()),
    trackUsers: Type.Optional(Type.Array(Type.String())),
    subjectGroups: Type.Optional(Type.Array(Type.String())),
  }),
])
export type Delivery = Static<typeof Delivery>

// ---- compiled validators -----------------------------------------------------------------

function compile<T extends TSchema> (schema: T): TypeCheck<T> {
  return TypeCompiler.Compile(schema)
}

export const checks = {
  authorization: compile(AuthorizationMessage),
  bbox: compile(BboxMessage),
  eventFilter: compile(EventFilterMessage),
  patrolFilter: compile(PatrolFilterMessage),
  echo: compile(EchoMessage),
  delivery: compile(Delivery),
}

/** A short human-readable reason why `value` fails `check` (first error only). */
export function firstError<T extends TSchema> (check: TypeCheck<T>, value: unknown): string {
  const error = check.Errors(value).First()
  // Only called after Check failed, so there is always a first error.
  /* c8 ignore next */
  if (!error) return 'invalid message'
  return error.path ? `${error.path.slice(1).replace(/\//g, '.')}: ${error.message}` : error.message
}
