import type { TSchema } from '@sinclair/typebox'
import type { TypeCheck } from '@sinclair/typebox/compiler'
import { endAuthWindow, startAuthWindow } from '../../src/core/auth-window.js'
import type { Principal } from '../../src/core/connection.js'
import type { Revocable, RevocationCause } from '../../src/core/revocation/revocable.js'
import type { AccessClaims, JwtCheck } from '../../src/core/tokens/tokens.js'
import { findReservedKey, valueDepthExceeds } from '../../src/core/limits/index.js'
import { parseBbox } from './filters.js'
import {
  checks, DATA_EVENT_TYPES, firstError, UNTRACED_TYPES,
  type Bbox, type ClientEventName, type EventFilter, type PatrolFilter,
} from './messages.js'
import { SharedPayload, type EventTail } from './event-encoding.js'
import type { ReceiveGate } from './receive-gate.js'
import { TraceQueue } from './trace-queue.js'

/** The little of a Socket.IO socket a session needs (tests may pass a fake). */
export interface SessionSocket {
  readonly id: string
  emit (event: string, ...args: unknown[]): unknown
  disconnect (close?: boolean): unknown
}

export interface SessionLogger {
  info (obj: object, msg?: string): void
  warn (obj: object, msg?: string): void
}

export interface SessionOptions {
  /** ms after connect before an unauthenticated socket is dropped; 0 = never (§5.5). */
  authWindow: number
  /** ms after connect before `connect_ack` (§5.5). */
  connectAckDelay: number
  /** The token's check; `throttled` when the address is over its failure budget (not checked). */
  verifyAccess (token: string): Promise<JwtCheck<AccessClaims> | 'throttled'>
  /**
   * Subscribes the socket to the deliveries of `username` (delivery-feed.ts); resolves once
   * deliveries published on any node reach it. Awaited before the 200 reply of an authorization
   * that makes the socket a user it was not yet, so a delivery its client makes after reading
   * the 200 reaches it, whatever node takes it.
   */
  listen (session: DasSession, username: string): Promise<void>
  /** Called after the 200 reply when the socket became a user it was not yet (first, or another). */
  onAuthenticated (session: DasSession): void
  /**
   * The access gate of a socket authenticated as `principal` (README "Authorization"), or null
   * when whatever it is sent may reach it (no rules, an `allow` default, no hook, no `channels`).
   */
  gateFor (session: DasSession, principal: UserPrincipal): ReceiveGate | null
  /**
   * Closes the socket's Engine.IO connection without a DISCONNECT packet, so that the client
   * reconnects by itself (engine-adapter.ts `closeTransport`).
   */
  closeTransport (session: DasSession): void
  /**
   * Writes a data event whose payload was encoded once per delivery (event-writer.ts). Without
   * it (tests with a fake socket), a SharedPayload cannot be delivered and registry.ts builds objects.
   */
  writeEvent?: (event: string, shared: SharedPayload, tail: EventTail, ack?: (traceId?: unknown) => void) => void
  log: SessionLogger
  now?: () => number
  /** Deepest nesting a client message may have (`limits.maxDepth`, issue 14); 64 when not given. */
  maxDepth?: number
}

export interface DasUser { username: string, admin: boolean }
export type UserPrincipal = Extract<Principal, { kind: 'user' }>

/**
 * The principal of an access token: the user, with a narrowed token's `roles` and `channels`
 * claims, which the authorizer holds the socket to.
 */
export function principalOf (claims: AccessClaims): UserPrincipal {
  const principal: UserPrincipal = { kind: 'user', username: claims.username, admin: claims.admin }
  if (claims.roles !== undefined) principal.roles = claims.roles
  if (claims.channels !== undefined) principal.channels = claims.channels
  return principal
}

const REQUIRED_FIELDS = 'Required fields: "type", "authorization", "id"'
const BEARER = /^Bearer\s+(\S+)\s*$/i

type Json = Record<string, unknown>
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)

/** The request's `id` when it carries a usable one (§5.8 items 4, 12). */
function requestId (arg: unknown): number | string | null {
  if (!isObject(arg)) return null
  const { id } = arg
  return (typeof id === 'number' && Number.isInteger(id)) || typeof id === 'string' ? id : null
}

/** `{resp_id}` to spread into a response, only when the request had an id (§5.8 item 4). */
function respIdOf (arg: unknown): { resp_id?: number | string } {
  const id = requestId(arg)
  return id === null ? {} : { resp_id: id }
}

/** The token value under `authorization` in any letter case (§5.8 item 1). */
function authorizationValue (arg: Json): string | undefined {
  for (const [key, value] of Object.entries(arg)) {
    if (key.toLowerCase() === 'authorization' && typeof value === 'string') return value
  }
  return undefined
}

function withoutId (arg: Json): Json {
  const { id: _id, ...rest } = arg
  return rest
}

/**
 * One socket on the DAS namespace (§5): the auth window and `connect_ack` timers, the
 * client messages, and the per-socket state the server events depend on — bbox, filters,
 * per-type `mid` counters and the traces still waiting for an acknowledgement.
 */
export class DasSession implements Revocable {
  user: DasUser | null = null
  /** Who the socket authenticated as, with its token's narrowing claims; null until then. */
  principal: UserPrincipal | null = null
  /** What it may receive (receive-gate.ts); null when nothing needs asking. */
  gate: ReceiveGate | null = null
  /** The `jti` of the access token the socket authenticated with: revoking that token drops it. */
  revocationToken: string | null = null
  bbox: Bbox | null = null
  eventFilter: EventFilter | null = null
  patrolFilter: PatrolFilter | null = null
  readonly #mids = new Map<string, number>()
  /** The trace_ids waiting for their acknowledgement, with when each was sent, oldest first. */
  readonly #traces = new TraceQueue()
  #lastTraceMicros = 0
  /**
   * §5.5's two timers, each dropped as soon as it is spent (fired, or the socket authorized), so
   * an idle authorized socket holds neither Timeout nor the closure in it (issue 21's memory).
   */
  #connectAck: NodeJS.Timeout | undefined
  #authWindow: NodeJS.Timeout | undefined
  #closed = false
  readonly #now: () => number
  /**
   * The authorization being handled: the next waits for it, so that the user the socket ends up
   * with is the one whose topics it joined last (each answer still in request order).
   */
  #authorizing: Promise<void> = Promise.resolve()

  /** Client message handlers by event name (one per `ClientEvents` schema); any other event is ignored (§5.4). */
  readonly handlers: Readonly<Record<ClientEventName, (arg: unknown) => void | Promise<void>>> = {
    authorization: (arg) => this.#refusedInput('authorization', arg) ? undefined : this.#nextAuthorization(arg),
    bbox: (arg) => this.#refusedInput('bbox', arg) ? undefined : this.#onBbox(arg),
    event_filter: (arg) => this.#refusedInput('event_filter', arg) ? undefined : this.#onEventFilter(arg),
    patrol_filter: (arg) => this.#refusedInput('patrol_filter', arg) ? undefined : this.#onPatrolFilter(arg),
    echo: (arg) => this.#refusedInput('echo', arg) ? undefined : this.#onEcho(arg),
  }

  /**
   * Issue 14 input limits, checked before a handler touches the message: Socket.IO parsed it
   * already (JSON.parse copes with any depth), but validating, copying or answering a value
   * nested thousands deep overflows the stack. Past `maxDepth`, and for reserved keys in the
   * filters a socket keeps, the message gets its event's own failure answer (§5.4: no generic
   * error event) and the connection stays. True when refused.
   */
  #refusedInput (event: string, arg: unknown): boolean {
    const maxDepth = this.options.maxDepth ?? 64
    let error: string | null = null
    if (valueDepthExceeds(arg, maxDepth)) error = `nested deeper than ${maxDepth} levels`
    else if (event === 'event_filter' || event === 'patrol_filter') {
      const key = findReservedKey(arg)
      if (key !== null) error = `the key ${JSON.stringify(key)} is not allowed`
    }
    if (error === null) return false
    // The request id is read only when it is a top-level primitive (no walk of the deep value).
    const resp = respIdOf(arg)
    if (event === 'authorization') this.#reply('resp_authorization', { type: 'resp_authorization', ...resp, status: { code: 400, message: error } })
    else if (event === 'bbox') this.#reply('bbox_resp', { type: 'bbox_resp', message: 'Failed to set bbox.', error, ...resp })
    else if (event === 'echo') this.#reply('echo_resp', { type: 'echo_resp', resp_id: requestId(arg) ?? 5, message: null, error })
    else this.#reply(`${event}_response`, { message: `Failed to set ${event}.`, error, ...resp })
    return true
  }

  constructor (readonly socket: SessionSocket, private readonly options: SessionOptions) {
    this.#now = options.now ?? Date.now
  }

  get id (): string {
    return this.socket.id
  }

  get closed (): boolean {
    return this.#closed
  }

  /** Starts the timers of §5.5: `connect_ack` after its delay, the auth window check. */
  start (): void {
    const { connectAckDelay, authWindow } = this.options
    this.#connectAck = setTimeout(() => {
      this.#connectAck = undefined
      this.socket.emit('connect_ack', { type: 'connect_ack', message: 'Connect acknowledgment.' })
    }, connectAckDelay)
    this.#authWindow = startAuthWindow(authWindow, () => {
      this.#authWindow = undefined
      if (!this.user) this.close('authorization window expired')
    })
  }

  /** §5.5's timers still set for this socket (tests: spent ones are not kept). */
  get pendingTimers (): number {
    return (this.#connectAck === undefined ? 0 : 1) + (this.#authWindow === undefined ? 0 : 1)
  }

  /**
   * Drops the whole connection (all namespaces), as upstream's `disconnect(sid)`: each namespace
   * gets a DISCONNECT first, so the client does not reconnect by itself.
   */
  close (reason: string): void {
    if (this.#closed) return
    this.options.log.info({ connection: this.id, reason }, 'das socket disconnected by server')
    this.socketClosed()
    this.socket.disconnect(true)
  }

  /**
   * Ends the connection as a server going away does: the transport closes with no DISCONNECT,
   * which socket.io clients answer by reconnecting (to this node once it is back, or to another).
   */
  goAway (reason: string): void {
    if (this.#closed) return
    this.options.log.info({ sid: this.id, reason }, 'das connection closed by server; the client reconnects')
    this.socketClosed()
    this.options.closeTransport(this)
  }

  /** The core registry's revocation policy: the socket is dropped (§5 has no message for it). */
  revoked (cause: RevocationCause): void {
    this.close(cause === 'token-revoked' ? 'token revoked' : 'user removed')
  }

  /** Its user's roles changed (on any node): what it may receive is asked again. */
  rolesChanged (): void {
    this.gate?.reset()
  }

  /** The socket is gone: no timer may fire for it any more. */
  socketClosed (): void {
    this.#closed = true
    clearTimeout(this.#connectAck)
    this.#connectAck = undefined
    this.#authWindow = endAuthWindow(this.#authWindow)
  }

  /**
   * Sends one data event (§5.3): adds this socket's next `mid` for the type and, except for
   * `service_status`, a `trace_id` that the client must acknowledge within `traceTtl`.
   * `payload` must be an object built for this socket alone (it is completed in place), or
   * a SharedPayload when `writesShared`.
   */
  deliver (type: string, payload: Json | SharedPayload): void {
    if (this.#closed) return
    const mid = (this.#mids.get(type) ?? 0) + 1
    this.#mids.set(type, mid)
    const traceId = UNTRACED_TYPES.has(type) ? undefined : this.#nextTraceId()
    if (traceId !== undefined) this.#traces.add(traceId, this.#now())
    if (payload instanceof SharedPayload) {
      // Encoded once for every socket of the delivery: only `mid` and `trace_id` are this socket's.
      this.options.writeEvent!(type, payload, { mid, traceId }, traceId === undefined ? undefined : this.#onAck)
      return
    }
    payload.mid = mid
    if (traceId === undefined) {
      this.socket.emit(type, payload)
      return
    }
    payload.trace_id = traceId
    this.socket.emit(type, payload, this.#onAck)
  }

  /** True when deliveries may come as SharedPayload (the session has a writer for them). */
  get writesShared (): boolean {
    return this.options.writeEvent !== undefined
  }

  /** True when a trace waited longer than `ttl` ms for its acknowledgement (§5.5). */
  hasExpiredTrace (ttl: number): boolean {
    const sentAt = this.#traces.oldest()
    return sentAt !== undefined && this.#now() - sentAt >= ttl
  }

  get pendingTraces (): number {
    return this.#traces.size
  }

  // Shared by every traced emit of this socket: the ack carries the trace_id it confirms.
  readonly #onAck = (traceId?: unknown): void => {
    if (typeof traceId === 'string') this.#traces.ack(traceId)
  }

  /** `trace-<sid>-<unix time float>` as upstream, kept unique per socket (µs, strictly increasing). */
  #nextTraceId (): string {
    const micros = Math.max(Math.round((performance.timeOrigin + performance.now()) * 1000), this.#lastTraceMicros + 1)
    this.#lastTraceMicros = micros
    return `trace-${this.id}-${(micros / 1e6).toFixed(6)}`
  }

  #reply (event: string, payload: Json): void {
    if (!this.#closed) this.socket.emit(event, payload)
  }

  #nextAuthorization (arg: unknown): Promise<void> {
    // One that waited for a socket closed since is not checked (its answer would not be sent).
    const run = this.#authorizing.then(() => this.#closed ? undefined : this.#onAuthorization(arg))
    // A failure is the handler's to report (index.ts logs it); the queue goes on.
    this.#authorizing = run.catch(() => {})
    return run
  }

  async #onAuthorization (arg: unknown): Promise<void> {
    const respId = requestId(arg)
    const value = isObject(arg) ? authorizationValue(arg) : undefined
    if (!checks.authorization.Check(arg) || value === undefined) {
      // §5.3 / §5.8 items 1, 2, 5, 12: 400 (with `type`, and `resp_id: null` without an id), then drop.
      this.#reply('resp_authorization', { type: 'resp_authorization', resp_id: respId, status: { code: 400, message: REQUIRED_FIELDS } })
      this.close('malformed authorization')
      return
    }
    // The value is an HTTP Authorization header (§5.6 step 2): without `Bearer ` it cannot authenticate.
    const token = BEARER.exec(value)?.[1]
    let check: JwtCheck<AccessClaims> | 'throttled'
    try {
      check = token ? await this.options.verifyAccess(token) : { ok: false, reason: 'invalid' }
    } catch (err) {
      return this.#authenticationError(respId, err)
    }
    if (this.#closed) return
    if (check === 'throttled') {
      // README "Throttling": refused unchecked, then dropped like a malformed authorization.
      this.#reply('resp_authorization', { type: 'resp_authorization', resp_id: respId, status: { code: 429, message: 'Too many failed attempts' } })
      this.close('too many failed attempts')
      return
    }
    if (!check.ok) {
      // §5.8 item 6: no immediate disconnect; the auth window drops a socket that never succeeded.
      this.#reply('resp_authorization', { type: 'resp_authorization', resp_id: respId, status: { code: 401, message: 'Invalid credentials' } })
      return
    }
    const { username, admin } = check.claims
    const principal = principalOf(check.claims)
    // README "Authorization": a socket that may receive no event type at all is refused (403),
    // and like any failed authorization keeps the identity it had (the auth window drops a new one).
    const gate = this.options.gateFor(this, principal)
    const allowed = gate === null || await gate.admitsAny(DATA_EVENT_TYPES)
    if (this.#closed) return
    if (!allowed) {
      this.#reply('resp_authorization', { type: 'resp_authorization', resp_id: respId, status: { code: 403, message: 'Forbidden' } })
      return
    }
    const moved = this.user?.username !== username
    if (moved) {
      try {
        await this.options.listen(this, username)
      } catch (err) {
        return this.#authenticationError(respId, err)
      }
      if (this.#closed) return
    }
    // Set only now: until it is, deliveries reaching the socket's new topics are not sent to it.
    this.user = { username, admin }
    this.principal = principal
    this.gate = gate
    this.revocationToken = check.claims.jti
    this.#authWindow = endAuthWindow(this.#authWindow)
    this.#reply('resp_authorization', { type: 'resp_authorization', resp_id: respId, status: { code: 200, message: 'OK' } })
    if (moved) this.options.onAuthenticated(this)
  }

  /** Verifying the token or subscribing the socket failed: 401 `Authentication error`, then drop. */
  #authenticationError (respId: number | string | null, err: unknown): void {
    this.options.log.warn({ connection: this.id, err: err instanceof Error ? err.message : String(err) }, 'das authorization failed')
    this.#reply('resp_authorization', { type: 'resp_authorization', resp_id: respId, status: { code: 401, message: 'Authentication error' } })
    this.close('authentication error')
  }

  #onBbox (arg: unknown): void {
    const fail = (error: string) => this.#reply('bbox_resp', { type: 'bbox_resp', message: 'Failed to set bbox.', error, ...respIdOf(arg) })
    if (!checks.bbox.Check(arg)) return fail(firstError(checks.bbox, arg))
    const parsed = parseBbox(arg.data)
    if (!parsed.ok) return fail(parsed.error)
    this.bbox = parsed.bbox
    this.#reply('bbox_resp', { type: 'bbox_resp', message: 'bbox saved.', bbox: parsed.bbox, ...respIdOf(arg) })
  }

  #onEventFilter (arg: unknown): void {
    const filter = this.#saveFilter('event_filter', checks.eventFilter, 'Event filter has been saved.', arg)
    if (filter) this.eventFilter = filter as EventFilter
  }

  #onPatrolFilter (arg: unknown): void {
    const filter = this.#saveFilter('patrol_filter', checks.patrolFilter, 'Patrol filter has been saved.', arg)
    if (filter) this.patrolFilter = filter as PatrolFilter
  }

  /** Validates a filter message and answers `<event>_response` (§5.3, §5.8 item 10); the filter or null. */
  #saveFilter<T extends TSchema> (event: string, check: TypeCheck<T>, saved: string, arg: unknown): Json | null {
    if (!check.Check(arg) || !isObject(arg)) {
      this.#reply(`${event}_response`, { message: `Failed to set ${event}.`, error: firstError(check, arg), ...respIdOf(arg) })
      return null
    }
    const filter = withoutId(arg)
    this.#reply(`${event}_response`, { message: saved, filter, ...respIdOf(arg) })
    return filter
  }

  #onEcho (arg: unknown): void {
    // Upstream answers `resp_id: 5` always; the request id wins when there is one (§5.8 item 4).
    const message = checks.echo.Check(arg) ? arg.data ?? null : null
    this.#reply('echo_resp', { type: 'echo_resp', resp_id: requestId(arg) ?? 5, message })
  }
}
