import { Type, type Static, type TSchema } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import { nameProblem } from '../../src/core/limits/index.js'

// The WebRocket frames of the seed era (spec §2.3–2.5): every frame is a JSON object with
// exactly one key, `{"<event>": <data>}`. The schemas below document every frame and do the
// validation; the session checks the parts one by one because the spec fixes which error id
// wins (permission first, then payload shape, then each field in order, §2.4).

/** Any frame a client sends: one key (the event) and its data. */
export const Envelope = Type.Object({}, { minProperties: 1, maxProperties: 1, additionalProperties: true, description: '{"<event>": data}' })

/** The data of `authenticate`, `subscribe`, `unsubscribe`, `broadcast` and `trigger` must be an object. */
export const PayloadObject = Type.Object({}, { additionalProperties: true })
export const UserName = Type.String()
export const Secret = Type.String()
export const ChannelName = Type.String({ minLength: 1 })
export const EventName = Type.String({ minLength: 1 })

export const AuthenticatePayload = Type.Object({ user: UserName, secret: Type.Optional(Type.Unknown({ description: 'a non-string secret counts as ""' })) })
export const SubscribePayload = Type.Object({ channel: ChannelName })
export const UnsubscribePayload = Type.Object({ channel: ChannelName })
/** Delivered verbatim (extra keys too) to every subscriber of `channel`. */
export const BroadcastPayload = Type.Object({ event: EventName, channel: ChannelName, data: Type.Optional(Type.Unknown()) }, { additionalProperties: true })
export const TriggerPayload = Type.Object({ event: EventName, data: Type.Optional(Type.Unknown()) })

/** Client → server frames (spec §2.4). `logout` and `disconnect` take any value (§2.9 item 4). */
export const ClientFrames = {
  authenticate: Type.Object({ authenticate: AuthenticatePayload }),
  subscribe: Type.Object({ subscribe: SubscribePayload }),
  unsubscribe: Type.Object({ unsubscribe: UnsubscribePayload }),
  broadcast: Type.Object({ broadcast: BroadcastPayload }),
  trigger: Type.Object({ trigger: TriggerPayload }),
  logout: Type.Object({ logout: Type.Unknown() }),
  disconnect: Type.Object({ disconnect: Type.Unknown() }),
} satisfies Record<string, TSchema>

export const ErrorId = Type.Union([
  'INVALID_PAYLOAD', 'ACCESS_DENIED', 'INVALID_USER_NAME', 'USER_NOT_FOUND', 'INVALID_CREDENTIALS',
  'INVALID_CHANNEL_NAME', 'CHANNEL_NOT_FOUND', 'INVALID_EVENT_NAME', 'ASSIGNATION_FAILED', 'UNDEFINED_EVENT',
  // [DEVIATION] (README, "Throttling"): authenticate refused unchecked after too many failures,
  // or because the server's password checks are at their cap.
  'TOO_MANY_ATTEMPTS', 'SERVER_BUSY',
  // [DEVIATION] (README, "Authorization"): the trigger backend turned the request down with a
  // 4xx of its own (not 403, not 404); the frame carries its `status`.
  'TRIGGER_REJECTED',
].map((id) => Type.Literal(id)))
export type ErrorId = Static<typeof ErrorId>

const closed = { additionalProperties: false }

/**
 * Server → client frames (spec §2.4, §2.5), by name: one key each, except a delivery, which is
 * the broadcaster's inner object verbatim (extra keys too) and `UNDEFINED_EVENT`, which names the
 * event. `disconnect` has no reply.
 */
export const ServerFrames = {
  authenticated: Type.Object({ authenticated: UserName }, closed),
  subscribed: Type.Object({ subscribed: ChannelName }, closed),
  unsubscribed: Type.Object({ unsubscribed: ChannelName }, closed),
  broadcasted: Type.Object({ broadcasted: ChannelName }, closed),
  triggered: Type.Object({ triggered: EventName }, closed),
  loggedOut: Type.Object({ loggedOut: Type.Literal(true) }, closed),
  error: Type.Object({ err: Type.Union(ErrorId.anyOf.filter((id) => id.const !== 'UNDEFINED_EVENT' && id.const !== 'TRIGGER_REJECTED')) }, closed),
  triggerRejected: Type.Object({ err: Type.Literal('TRIGGER_REJECTED'), status: Type.Integer({ minimum: 400, maximum: 499, description: "the backend's status" }) }, closed),
  undefinedEvent: Type.Object({ err: Type.Literal('UNDEFINED_EVENT'), event: Type.String() }, closed),
  delivery: BroadcastPayload,
} satisfies Record<string, TSchema>

/** A valid server → client frame of WebRocket. */
export const ServerFrame = Type.Union(Object.values(ServerFrames), { description: 'WebRocket server frame' })

// Compiled once at module load.
export const checkEnvelope = TypeCompiler.Compile(Envelope)
export const checkPayloadObject = TypeCompiler.Compile(PayloadObject)
export const checkUserName = TypeCompiler.Compile(UserName)
export const checkSecret = TypeCompiler.Compile(Secret)
export const checkChannelName = TypeCompiler.Compile(ChannelName)
export const checkEventName = TypeCompiler.Compile(EventName)

/**
 * A channel, event or user name a client may use: a non-empty string (spec §2.4) within the
 * name rules of issue 14 (≤ 255 UTF-8 bytes, well-formed, no control characters). Upstream took
 * any non-empty string (§2.9 item 6); names past these rules are refused with the field's own
 * error id (`INVALID_CHANNEL_NAME`, `INVALID_EVENT_NAME`, `INVALID_USER_NAME`).
 */
export function isName (value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && nameProblem(value) === null
}

/** Error frames are constant: built once. */
export const ERRORS = Object.fromEntries(
  ErrorId.anyOf.map((literal) => [literal.const, JSON.stringify({ err: literal.const })]),
) as Record<ErrorId, string>

export const LOGGED_OUT = '{"loggedOut":true}'

export function undefinedEvent (event: string): string {
  return JSON.stringify({ err: 'UNDEFINED_EVENT', event })
}

export function triggerRejected (status: number): string {
  return `{"err":"TRIGGER_REJECTED","status":${status}}`
}

/** `{"<key>": "<value>"}` — the success replies. */
export function reply (key: 'authenticated' | 'subscribed' | 'unsubscribed' | 'broadcasted' | 'triggered', value: string): string {
  return `{"${key}":${JSON.stringify(value)}}`
}
