import { hostname } from 'node:os'
import type { SyscacheConfig } from '../../src/config/schema.js'
import { endAuthWindow, startAuthWindow } from '../../src/core/auth-window.js'
import { hash } from 'node:crypto'
import type { Connection } from '../../src/core/connection.js'
import type { HubMessage } from '../../src/core/hub/message.js'
import { Detached, InboundFrames, type Handled, type InboundPolicy } from '../../src/core/inbound-frames.js'
import type { Subscriber } from '../../src/core/hub/hub.js'
import type { Revocable } from '../../src/core/revocation/revocable.js'
import { randomAlphanumeric } from '../../src/core/ids.js'
import { nameProblem, parseClientJson } from '../../src/core/limits/index.js'
import type { Services } from '../../src/core/services.js'
import { addressKey } from '../../src/core/throttle/address-key.js'
import type { Verdict } from '../../src/core/throttle/credential-throttle.js'
import type { FailureLimit } from '../../src/core/throttle/failure-limit.js'
import type { Caller, ClassOutcome, ClassRouter } from './classes.js'
import { lastEvent } from './events.js'
import {
  encodeLegacyEvent, encodeTypedEvent, errorFrame, eventFrame, eventResource, eventTopic, EVENT_TYPES, isEventType, replyFrame,
  TOO_MANY_FAILURES, type ErrorCode, type EventType, type Id,
} from './frames.js'
import type { LiveSessions, Sweepable } from './live-sessions.js'
import { checkAuthArgs, checkAuthTokenArgs, checkEnvelope, checkEventNames } from './messages.js'
import type { SharedPrincipals } from './principals.js'

/** Sliding-token purpose in the core token store (spec §1.7: 20 chars of [A-Za-z0-9]). */
export const TOKEN_PURPOSE = 'syscache'
const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/
const generateToken = () => randomAlphanumeric(20)
/** A token as its revocation names it on the hub: only hashes cross it, never a usable token. */
export const tokenHash = (token: string): string => hash('sha256', token, 'base64url')

/**
 * Frames queued and class calls in flight, `maxPendingRequests` per connection: past it the client
 * is not reading its replies or floods us, and is closed (1008) instead of being buffered without
 * bound (README "Requests and classes").
 */
export const inboundPolicy = (limit: number): InboundPolicy =>
  ({ kind: 'close', limit, overflow: (connection) => connection.close(1008, 'too many pending requests') })

/** How an event reaches a client in each format: one shared object, not two fields per session. */
export interface EventWire { format: string, encode: (message: HubMessage) => Buffer }
export const EVENT_WIRES: Record<'legacy' | 'typed', EventWire> = {
  legacy: { format: 'syscache:legacy', encode: encodeLegacyEvent },
  typed: { format: 'syscache:typed', encode: encodeTypedEvent },
}

/** Everything the sessions of one plugin instance share. */
export interface SyscacheContext {
  services: Services
  config: SyscacheConfig
  classes: ClassRouter
  /** Failed auth/auth_token per address, blocking it past `maxAuthFailures` (README, "Throttling"). */
  blacklist: FailureLimit
  /** What a connection with too many requests pending gets: `inboundPolicy(config.maxPendingRequests)`. */
  inbound: InboundPolicy
  /** How events reach this plugin's clients: `EVENT_WIRES[config.eventFormat]`. */
  wire: EventWire
  /** The plugin's open sessions, swept for idleness (`config.idleTimeout`, §1.6). */
  live: LiveSessions<SyscacheSession>
  /** The principal of each logged-in user, shared by its connections. */
  principals: SharedPrincipals
  log: { error (obj: object, msg?: string): void, warn (obj: object, msg?: string): void }
}

/** The value kept with a token in the store: who it is for and when it was issued (revocation). */
interface TokenValue { u: string, t: number }

/**
 * The id an error reply echoes (§1.9 #7), or "error" when there is none usable (§1.9 #9). A number
 * must be finite: `1e309` parses as Infinity, which JSON writes as null (found by the fuzz suite).
 */
const idOf = (value: unknown): Id => {
  const id = (value as { id?: unknown } | null)?.id
  return typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id)) ? id : 'error'
}

/**
 * One syscache connection (spec §1): frames in → core calls → frames out, plus its timers.
 * Frames are handled one at a time in arrival order (an `auth` is settled before the request
 * after it is checked); backend calls do not hold the queue, their replies carry the request id.
 */
export class SyscacheSession implements Subscriber, Revocable, Sweepable {
  /**
   * The sliding token of the login (§1.7), null while logged out. Who it speaks for is the
   * principal #login gave the connection; its hash is derived when a revocation asks for it.
   */
  #token: string | null = null
  /**
   * Client frames, one at a time in order; class calls stay counted in it until they answer. Made
   * at a frame, dropped when it has nothing left (framesIdle).
   */
  #frames: InboundFrames | null = null
  #closed = false
  /** The last frame received or request finished, as a `LiveSessions.now()` stamp (the idle rule, §1.6). */
  #active: number
  #authTimer: NodeJS.Timeout | undefined

  constructor (
    private readonly ctx: SyscacheContext,
    private readonly connection: Connection,
    /** A proxy forwarded the upgrade: the peer is not local, whatever its address (spec §1.7). */
    private readonly forwarded: boolean,
  ) {
    // §1.6: idle connections close after idleTimeout (restarted by every frame, see `sweep`),
    // unauthenticated ones after authWindow; 0 turns either off.
    this.#active = ctx.live.now()
    ctx.live.add(this)
    this.#authTimer = startAuthWindow(ctx.config.authWindow, () => connection.close(1008, 'not authenticated'))
  }

  /**
   * The hash of the session's token: an `auth_clear` of it anywhere logs this connection out.
   * Hashed on each ask rather than kept (64 bytes per idle connection, issue 21): it is asked
   * only when one of this user's tokens is revoked.
   */
  get revocationToken (): string | null {
    return this.#token === null ? null : tokenHash(this.#token)
  }

  /**
   * The plugin's idle sweep: closes (1000) a connection that received no frame since `stale`.
   * A connection waiting on one of its requests is not idle; frameSettled restamps it when it ends.
   */
  sweep (stale: number): void {
    if (this.#active <= stale && (this.#frames?.pending ?? 0) === 0) this.connection.close(1000, 'idle timeout')
  }

  /** A frame from the client (binary frames arrive as text, spec §1.2); the promise settles once drained. */
  receive (text: string): Promise<void> | undefined {
    if (this.#closed) return
    this.#active = this.ctx.live.now()
    return (this.#frames ??= new InboundFrames(this.connection, this, this.ctx.inbound)).receive(text)
  }

  /** The frame queue has nothing left: an idle session keeps none (InboundFrames, FrameSink). */
  framesIdle (): void {
    this.#frames = null
  }

  /** Hub delivery of an event this session subscribed to: the frame is shared by all subscribers. */
  deliver (message: HubMessage): void {
    const { wire } = this.ctx
    this.connection.send(message.frame(wire.format, wire.encode))
  }

  /**
   * The core registry's revocation policy: our token was killed (auth_clear on any connection or
   * node), our user removed or disabled, or its password changed — logged out without a reply (§1.7).
   */
  revoked (): void {
    this.#logout()
  }

  /**
   * Its user's roles changed (on any node): the event types it may no longer receive are left,
   * silently — §1 has no message for it; its next subscribe to them is answered 403.
   */
  rolesChanged (): void {
    const { subscriptions } = this.ctx.services
    for (const type of EVENT_TYPES) {
      if (!subscriptions.has(this.connection, eventTopic(type))) continue
      const decision = this.#maySubscribe(type)
      if (decision === false) this.#leave(type)
      else if (decision !== true) void decision.then((allowed) => { if (!allowed) this.#leave(type) })
    }
  }

  #leave (type: EventType): void {
    if (!this.ctx.services.subscriptions.has(this.connection, eventTopic(type))) return
    this.ctx.services.subscriptions.leave(this.connection, eventTopic(type))
      .catch((err: unknown) => this.ctx.log.warn({ err, connection: this.connection.id }, 'syscache event topic not left'))
    // Presence names a syscache subscription by its event type.
    this.ctx.services.connections.unsubscribed(this.connection, type)
  }

  /** README "Authorization": receiving the events of a type is subscribing to `events/<type>`. */
  #maySubscribe (type: EventType): boolean | Promise<boolean> {
    const { principal } = this.connection
    return this.ctx.services.access.authorize({ protocol: 'syscache', action: 'subscribe', resource: eventResource(type), principal, connectionId: this.connection.id })
  }

  /** The socket closed: stop timers (the core registry leaves the hub topics and forgets the user). */
  socketClosed (): void {
    if (this.#closed) return
    this.#closed = true
    this.#frames?.clear()
    this.ctx.live.delete(this)
    clearTimeout(this.#authTimer)
    this.#token = null
  }

  /**
   * Called by the session's InboundFrames when a request finished: the time it took (scrypt,
   * backend) does not count as idleness.
   */
  frameSettled (): void {
    if (!this.#closed) this.#active = this.ctx.live.now()
  }

  /** Called by the session's InboundFrames, in arrival order. */
  handleFrame (text: string): Promise<Handled> | Handled {
    if (this.#closed) return
    // §1.9 #9; issue 14: nesting past limits.maxDepth is refused before anything parses it, so
    // args forwarded to the backend or echoed back are bounded too.
    const parsed = parseClientJson(text, this.ctx.services.config.limits.maxDepth)
    if (!parsed.ok) return this.#error('error', 400)
    const value = parsed.value
    if (!checkEnvelope.Check(value)) return this.#error(idOf(value), 400) // §1.5, §1.9 #8
    const { id } = value
    // Namespace and name become a class name for the backend and logs: held to the name rules (README "Limits").
    if (nameProblem(value.namespace) !== null || nameProblem(value.name) !== null) return this.#error(id, 400)
    let handling: Promise<Handled> | Handled
    try {
      handling = this.#dispatch(value.namespace, value.name, id, value.args)
    } catch (err) {
      return this.#failed(id, err)
    }
    return handling instanceof Promise ? handling.catch((err: unknown) => this.#failed(id, err)) : handling
  }

  /** A store or hub failure costs this request, not the connection. */
  #failed (id: Id, err: unknown): void {
    this.ctx.log.error({ err, connection: this.connection.id }, 'syscache request failed')
    this.#error(id, 500)
  }

  // Not async itself: a request's own handler is the only promise made for it (issue 8).
  #dispatch (namespace: string, name: string, id: Id, args: unknown): Promise<Handled> | Handled {
    if (namespace === 'rpc') {
      switch (name) {
        case 'auth': return this.#authPassword(id, args)
        case 'auth_token': return this.#authToken(id, args)
        case 'auth_clear': return this.#authClear()
        // §1.4 #5: allowed without auth; it does not count as activity on the token.
        case 'identify': return this.#send(replyFrame('rpc', id, { type: 'server', hostname: hostname() }))
      }
    }
    return this.#authorized(namespace, name, id, args)
  }

  /** §1.5: any other request needs a valid token, which it slides (§1.6). */
  async #authorized (namespace: string, name: string, id: Id, args: unknown): Promise<Handled> {
    const caller = await this.#caller()
    if (!caller) return this.#error(id, 401)
    if (namespace === 'events') {
      if (name === 'subscribe') return await this.#subscribe(id, args)
      if (name === 'unsubscribe') return await this.#unsubscribe(id, args)
      return this.#error(id, 400)
    }
    if (namespace === 'rpc' && name === 'query') {
      return this.#detach(id, 'rpc', () => this.ctx.classes.query(args, caller).then((map): ClassOutcome => ({ ok: true, args: map })))
    }
    if (namespace === 'rpc' || namespace === 'sysadm') {
      return this.#detach(id, namespace, () => this.ctx.classes.call(namespace, name, args, caller))
    }
    return this.#error(id, 400) // unknown namespace (§1.5, seed era)
  }

  /** Runs a class call without holding the frame queue; its reply goes out when it settles. */
  #detach (id: Id, namespace: string, start: () => Promise<ClassOutcome>): Detached {
    return new Detached(start().then((result) => {
      if (result.ok) this.#send(replyFrame(namespace, id, result.args))
      else this.#error(id, result.code)
    /* c8 ignore next 4 -- defensive: the core backend turns every failure into a reply, so class calls never reject */
    }, (err: unknown) => {
      this.ctx.log.error({ err, connection: this.connection.id }, 'syscache class call failed')
      this.#error(id, 500)
    }))
  }

  // ---- auth (§1.7) ----

  /** `rpc/auth`: username + password, or a username alone from a local peer when allowed. */
  async #authPassword (id: Id, args: unknown): Promise<void> {
    this.#token = null // upstream clearAuth: the attempt starts logged out (§1.7)
    if (!checkAuthArgs.Check(args)) return this.#failAuth(id, 400)
    if (await this.#blocked()) return this.#forbidden(id)
    const { identity } = this.ctx.services
    const verdict = await this.ctx.services.throttle.guard({ address: this.connection.remoteAddress, account: `user:${args.username}`, protocol: 'syscache' }, () => args.password !== undefined
      ? identity.verify(args.username, args.password)
      : this.ctx.config.allowLocalWithoutPassword && this.#local() ? identity.find(args.username) : Promise.resolve(null))
    const user = await this.#admitted(id, verdict)
    if (!user) return
    const value: TokenValue = { u: user.username, t: Date.now() }
    const token = await this.ctx.services.tokens.issueSliding(TOKEN_PURPOSE, JSON.stringify(value), this.ctx.config.tokenLifetime, generateToken)
    this.#login(id, token, user.username, user.admin)
  }

  /**
   * "Local connections do not need username/password" (spec §1.7): the socket peer itself must be
   * loopback (not an address a proxy reported) and no proxy may have forwarded the upgrade. Asked
   * only by a password-less auth, so other connections never pay for the peer lookup.
   */
  #local (): boolean {
    return !this.forwarded && LOOPBACK.test(this.connection.remoteAddress)
  }

  /** `rpc/auth_token`: a token saved earlier, from this or any connection on any node. */
  async #authToken (id: Id, args: unknown): Promise<void> {
    this.#token = null
    if (!checkAuthTokenArgs.Check(args)) return this.#failAuth(id, 400)
    if (await this.#blocked()) return this.#forbidden(id)
    const { token } = args
    const verdict = await this.ctx.services.throttle.guard({ address: this.connection.remoteAddress, protocol: 'syscache' }, async () => {
      const username = await this.#useToken(token)
      // The user's current admin flag applies, and a removed user's token is dead.
      return username === null ? null : await this.ctx.services.identity.find(username)
    })
    const user = await this.#admitted(id, verdict)
    if (!user) return
    this.#login(id, args.token, user.username, user.admin)
  }

  // ---- throttling (README, "Throttling") ----

  /** Is this address black-listed? A store outage fails open: it must not lock everyone out. */
  async #blocked (): Promise<boolean> {
    try {
      return await this.ctx.blacklist.retryAfter(addressKey(this.connection.remoteAddress)) > 0
    } catch (err) {
      this.ctx.log.warn({ err: (err as Error).message, connection: this.connection.id }, 'syscache black-list unavailable')
      return false
    }
  }

  /**
   * The user of an admitted auth, or null once the refusal is answered: throttled → 403 and
   * close (as the black-list); busy → 503; wrong → 401, or 403 and close when this failure
   * black-lists the address.
   */
  async #admitted<T> (id: Id, verdict: Verdict<T>): Promise<T | null> {
    if (verdict.ok) return verdict.value
    if (verdict.reason === 'throttled') this.#forbidden(id)
    else if (verdict.reason === 'busy') this.#failAuth(id, 503)
    else if (await this.#blacklistFailure()) this.#forbidden(id)
    else this.#failAuth(id, 401)
    return null
  }

  async #blacklistFailure (): Promise<boolean> {
    try {
      return await this.ctx.blacklist.fail(addressKey(this.connection.remoteAddress)) > 0
    } catch (err) {
      this.ctx.log.warn({ err: (err as Error).message, connection: this.connection.id }, 'syscache black-list unavailable')
      return false
    }
  }

  /** §1.9 #10: 403 "Too Many Authorization Failures - Try again later", then close (1008). */
  #forbidden (id: Id): void {
    this.#logout()
    this.connection.send(errorFrame(id, 403, TOO_MANY_FAILURES))
    this.connection.close(1008, 'too many authorization failures')
  }

  /** `rpc/auth_clear`: kills the token everywhere (§1.7) and replies nothing (§1.4 #3). */
  async #authClear (): Promise<void> {
    const token = this.#token
    const user = this.#user()
    if (token === null || user === null) return
    this.#logout()
    await this.ctx.services.tokens.revokeSliding(TOKEN_PURPOSE, token)
    await this.ctx.services.revocations.tokenRevoked(user.username, tokenHash(token))
  }

  /** Slides the token and answers its username, or null if it expired, was cleared or revoked. */
  async #useToken (token: string): Promise<string | null> {
    const { tokens } = this.ctx.services
    const raw = await tokens.useSliding(TOKEN_PURPOSE, token, this.ctx.config.tokenLifetime)
    if (raw === null) return null
    const value = JSON.parse(raw) as TokenValue
    if (await tokens.isUserRevoked(value.u, value.t)) {
      await tokens.revokeSliding(TOKEN_PURPOSE, token)
      return null
    }
    return value.u
  }

  /** The caller of a request that needs auth, its token slid; null logs the connection out. */
  async #caller (): Promise<Caller | null> {
    const token = this.#token
    const user = this.#user()
    if (token === null || user === null) return null
    if (await this.#useToken(token) === null) {
      // Frames are handled one at a time, so the same token still held is the same login.
      if (this.#token === token) this.#logout()
      return null
    }
    return { username: user.username, admin: user.admin, connectionId: this.connection.id }
  }

  /**
   * Who the session is logged in as: the principal #login gave the connection, while the token
   * is held (an auth attempt drops the token first, the principal only when it fails).
   */
  #user (): { username: string, admin: boolean } | null {
    const { principal } = this.connection
    return this.#token !== null && principal?.kind === 'user' ? principal : null
  }

  #login (id: Id, token: string, username: string, admin: boolean): void {
    if (this.#closed) return
    this.#token = token
    this.#authTimer = endAuthWindow(this.#authTimer)
    this.ctx.services.connections.authenticated(this.connection, this.ctx.principals.of(username, admin), this)
    // §1.6: the second element is the token's lifetime in whole seconds (rounded up, never 0).
    this.#send(replyFrame('rpc', id, [token, Math.ceil(this.ctx.config.tokenLifetime / 1000)]))
  }

  /** A failed auth leaves the connection logged out (§1.7), subscriptions included. */
  #failAuth (id: Id, code: ErrorCode): void {
    this.#logout()
    this.#error(id, code)
  }

  /** Logged out: no token, no principal, and no more events (README, "Logging out"). */
  #logout (): void {
    this.#token = null
    this.ctx.services.connections.loggedOut(this.connection)
    for (const type of EVENT_TYPES) this.#leave(type)
  }

  // ---- events (§1.4 #11–13, §1.8) ----

  /**
   * Valid event names of a subscribe/unsubscribe; unknown names are skipped (§1.9 #6). Issue 14:
   * a list longer than `subscriptionsPerConnection`, or a name past the name rules, is a 400.
   */
  #eventTypes (args: unknown): EventType[] | null {
    if (!checkEventNames.Check(args)) return null
    const names = typeof args === 'string' ? [args] : args
    if (names.length > this.ctx.services.config.limits.subscriptionsPerConnection) return null
    if (names.some((name) => nameProblem(name) !== null)) return null
    return [...new Set(names.filter(isEventType))]
  }

  async #subscribe (id: Id, args: unknown): Promise<void> {
    const types = this.#eventTypes(args)
    if (!types) return this.#error(id, 400)
    // README "Authorization": one type the caller may not receive refuses the whole request (403), nothing joined.
    const allowed = await Promise.all(types.map((type) => this.#maySubscribe(type)))
    if (allowed.includes(false)) return this.#error(id, 403)
    if (this.#closed) return
    const live: Array<Promise<void>> = []
    const { subscriptions } = this.ctx.services
    for (const type of types) {
      if (subscriptions.has(this.connection, eventTopic(type))) continue
      live.push(subscriptions.join(this.connection, eventTopic(type), this))
      // Presence names a syscache subscription by its event type; announced as it is joined,
      // so an unsubscribe or a close while the topic goes live follows it.
      this.ctx.services.connections.subscribed(this.connection, type)
    }
    await (live.length === 1 ? live[0] : Promise.all(live))
    // Joined after the socket closed (the registry has left its topics already): leave these too.
    if (this.#closed) return subscriptions.leaveAll(this.connection)
    // §1.9 #6: only the last valid name survives in the reply; none valid ⇒ `{}`.
    this.#send(replyFrame('events', id, types.length ? { subscribe: types[types.length - 1] } : {}))
    // §1.8: replay the last event of each type named, read after the subscription is live so
    // nothing published meanwhile is lost (it may arrive twice, never older than live).
    for (const type of types) {
      const last = await lastEvent(this.ctx.services, type)
      if (last !== null && subscriptions.has(this.connection, eventTopic(type))) this.connection.send(eventFrame(this.ctx.config.eventFormat, type, last))
    }
  }

  async #unsubscribe (id: Id, args: unknown): Promise<void> {
    const types = this.#eventTypes(args)
    if (!types) return this.#error(id, 400)
    const { subscriptions, connections } = this.ctx.services
    await Promise.all(types.map((type) => {
      if (!subscriptions.has(this.connection, eventTopic(type))) return undefined
      connections.unsubscribed(this.connection, type)
      return subscriptions.leave(this.connection, eventTopic(type))
    }))
    this.#send(replyFrame('events', id, types.length ? { unsubscribe: types[types.length - 1] } : {}))
  }

  // ---- output ----

  #send (frame: string): void {
    this.connection.send(frame)
  }

  #error (id: Id, code: ErrorCode): void {
    this.connection.send(errorFrame(id, code))
  }
}
