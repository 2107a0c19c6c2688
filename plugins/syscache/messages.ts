import { Type, type Static, type TSchema } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import { EVENT_TYPES, STATUS, TOO_MANY_FAILURES } from './frames.js'

/**
 * TypeBox schemas of every syscache frame (spec §1.3–§1.5). Compiled once at module load; the
 * session checks every client frame against them and answers 400 on a mismatch.
 */

/** A request id is echoed exactly as received: string or number (spec §1.9 #7). */
export const RequestId = Type.Union([Type.String(), Type.Number()])

/** The envelope of every frame, both ways (spec §1.3). All four keys are required (§1.9 #8). */
export const Envelope = Type.Object({
  namespace: Type.String({ description: 'rpc, events or sysadm' }),
  name: Type.String(),
  id: RequestId,
  args: Type.Unknown(),
}, { description: 'syscache request envelope' })
export type Envelope = Static<typeof Envelope>

/** `rpc/auth` (§1.4 #1). The password may be left out only by a local client when allowed (§1.7). */
export const AuthArgs = Type.Object({
  username: Type.String(),
  password: Type.Optional(Type.String()),
})

/** `rpc/auth_token` (§1.4 #2). */
export const AuthTokenArgs = Type.Object({ token: Type.String() })

/** `events/subscribe` and `events/unsubscribe` (§1.4 #11–12): one name or a non-empty list. */
export const EventNames = Type.Union([Type.String(), Type.Array(Type.String(), { minItems: 1 })])

/** `sysadm/<class>` requests carry an object with an `action` (§1.4 #10). */
export const ClassArgs = Type.Object({ action: Type.String() })

/** A request of one `namespace`/`name` carrying `args`: the envelope with both names pinned. */
const request = (namespace: TSchema, name: TSchema, args: TSchema, description: string) =>
  Type.Object({ ...Envelope.properties, namespace, name, args }, { description })
const rpc = Type.Literal('rpc')
const AnyArgs = Envelope.properties.args

/**
 * Every request a client can send, by name (§1.4): the envelope above with its args schema. The
 * session checks the envelope, then the args its handler needs; these records document that.
 */
export const ClientFrames = {
  auth: request(rpc, Type.Literal('auth'), AuthArgs, 'log in with a password; the reply carries a token'),
  authToken: request(rpc, Type.Literal('auth_token'), AuthTokenArgs, 'log in again with a token'),
  authClear: request(rpc, Type.Literal('auth_clear'), AnyArgs, 'log out: the token dies everywhere (no reply)'),
  identify: request(rpc, Type.Literal('identify'), AnyArgs, 'what answers (no token needed)'),
  query: request(rpc, Type.Literal('query'), AnyArgs, 'which classes the caller may use'),
  subscribe: request(Type.Literal('events'), Type.Literal('subscribe'), EventNames, 'listen to event types'),
  unsubscribe: request(Type.Literal('events'), Type.Literal('unsubscribe'), EventNames, 'stop listening'),
  sysadm: request(Type.Literal('sysadm'), Envelope.properties.name, ClassArgs, 'call a class (sysadm/systemmanager is built in)'),
  rpcClass: request(rpc, Envelope.properties.name, AnyArgs, 'any other rpc name: forwarded to the backend'),
} satisfies Record<string, TSchema>

// ---- server → client (what session.ts and frames.ts really send) ----------------------------

const closed = { additionalProperties: false }

/** §1.4 #11, hyphenated everywhere (§1.9 #5). */
export const EventType = Type.Union(EVENT_TYPES.map((type) => Type.Literal(type)))

/** `rpc/auth`, `rpc/auth_token` (§1.4 #1–2, §1.6): the 20-character token (§1.7) and its lifetime in whole seconds. */
export const AuthReply = Type.Object({
  namespace: Type.Literal('rpc'),
  name: Type.Literal('response'),
  id: RequestId,
  args: Type.Tuple([Type.String({ pattern: '^[A-Za-z0-9]{20}$' }), Type.Integer({ minimum: 1 })]),
}, closed)

/** `rpc/identify` (§1.4 #5). */
export const IdentifyReply = Type.Object({
  namespace: Type.Literal('rpc'),
  name: Type.Literal('response'),
  id: RequestId,
  args: Type.Object({ type: Type.Literal('server'), hostname: Type.String() }, closed),
}, closed)

/** `rpc/query` (§1.4 #6): `"<namespace>/<name>"` → `"read"` or `"read/write"` (a backend may add its own words). */
export const QueryReply = Type.Object({
  namespace: Type.Literal('rpc'),
  name: Type.Literal('response'),
  id: RequestId,
  args: Type.Record(Type.String(), Type.String()),
}, closed)

/** `events/subscribe` and `events/unsubscribe` (§1.4 #11–12): the last valid name, or `{}` (§1.9 #6). */
export const EventsReply = Type.Object({
  namespace: Type.Literal('events'),
  name: Type.Literal('response'),
  id: RequestId,
  args: Type.Union([
    Type.Object({ subscribe: EventType }, closed),
    Type.Object({ unsubscribe: EventType }, closed),
    Type.Object({}, closed),
  ]),
}, closed)

/** A `sysadm/<class>` or forwarded `rpc/<class>` reply (§1.4 #7–10): whatever the class answered. */
export const ClassReply = Type.Object({
  namespace: Type.Union([Type.Literal('rpc'), Type.Literal('sysadm')]),
  name: Type.Literal('response'),
  id: RequestId,
  args: Type.Unknown(),
}, closed)

/**
 * Error codes and messages: §1.5, plus 500/503 (README "Errors", "Throttling") and §1.9 #10's 403
 * text — or a 4xx a backend answered with, passed on with its HTTP reason phrase (README "Backend").
 */
export const ErrorCode = Type.Union([...Object.keys(STATUS).map((code) => Type.Literal(Number(code))), Type.Integer({ minimum: 400, maximum: 499 })])
export const ErrorMessage = Type.Union([...[...Object.values(STATUS), TOO_MANY_FAILURES].map((message) => Type.Literal(message)), Type.String({ minLength: 1 })])

/** Error reply, seed format for every namespace (§1.5, §1.9 #3); `"error"` when the request had no usable id (§1.9 #9). */
export const ErrorFrame = Type.Object({
  namespace: Type.Literal('rpc'),
  name: Type.Literal('error'),
  id: RequestId,
  args: Type.Object({ code: ErrorCode, message: ErrorMessage }, closed),
}, closed)

/** Event push, seed-era format (§1.4 #13), `eventFormat: legacy`. */
export const LegacyEventFrame = Type.Object({
  namespace: Type.Literal('events'),
  name: Type.Literal('event'),
  id: Type.Literal(''),
  args: Type.Object({ name: EventType, args: Type.Unknown() }, closed),
}, closed)

/** Event push, final-server format (§1.4 #13b), `eventFormat: typed`. */
export const TypedEventFrame = Type.Object({
  namespace: Type.Literal('events'),
  name: EventType,
  id: Type.Literal(''),
  args: Type.Unknown(),
}, closed)

/**
 * Every frame a client can receive, by name (§1.3–§1.5). An `rpc` reply is told apart only by the
 * request it answers (same `id`), so `classReply` takes any `rpc`/`sysadm` answer; the ones before
 * it document the built-in answers.
 */
export const ServerFrames = {
  authReply: AuthReply,
  identifyReply: IdentifyReply,
  queryReply: QueryReply,
  eventsReply: EventsReply,
  classReply: ClassReply,
  error: ErrorFrame,
  legacyEvent: LegacyEventFrame,
  typedEvent: TypedEventFrame,
} satisfies Record<string, TSchema>

/** A valid server → client frame of syscache. */
export const ServerFrame = Type.Union(Object.values(ServerFrames), { description: 'syscache server frame' })

export const checkEnvelope = TypeCompiler.Compile(Envelope)
export const checkAuthArgs = TypeCompiler.Compile(AuthArgs)
export const checkAuthTokenArgs = TypeCompiler.Compile(AuthTokenArgs)
export const checkEventNames = TypeCompiler.Compile(EventNames)
export const checkClassArgs = TypeCompiler.Compile(ClassArgs)
