import { Type, type Static } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'

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

/** Success reply (§1.3): `name` is "response", `namespace` echoes the request's. */
export const Reply = Type.Object({
  namespace: Type.String(),
  name: Type.Literal('response'),
  id: RequestId,
  args: Type.Unknown(),
})

/** Error reply, seed format for every namespace (§1.5, §1.9 #3). */
export const ErrorFrame = Type.Object({
  namespace: Type.Literal('rpc'),
  name: Type.Literal('error'),
  id: Type.Union([RequestId, Type.Literal('error')]),
  args: Type.Object({ code: Type.Integer(), message: Type.String() }),
})

/** Event push, seed-era format (§1.4 #13). */
export const LegacyEventFrame = Type.Object({
  namespace: Type.Literal('events'),
  name: Type.Literal('event'),
  id: Type.Literal(''),
  args: Type.Object({ name: Type.String(), args: Type.Unknown() }),
})

/** Event push, final-server format (§1.4 #13b). */
export const TypedEventFrame = Type.Object({
  namespace: Type.Literal('events'),
  name: Type.String({ description: 'the event type' }),
  id: Type.Literal(''),
  args: Type.Unknown(),
})

export const checkEnvelope = TypeCompiler.Compile(Envelope)
export const checkAuthArgs = TypeCompiler.Compile(AuthArgs)
export const checkAuthTokenArgs = TypeCompiler.Compile(AuthTokenArgs)
export const checkEventNames = TypeCompiler.Compile(EventNames)
export const checkClassArgs = TypeCompiler.Compile(ClassArgs)
