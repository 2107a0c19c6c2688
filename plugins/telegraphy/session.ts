import { tokenIdOf, userPrincipal } from '../../src/core/access/principal.js'
import type { Connection, Principal } from '../../src/core/connection.js'
import type { Subscriber } from '../../src/core/hub/hub.js'
import type { HubMessage } from '../../src/core/hub/message.js'
import { ADMIN_ROLE } from '../../src/core/access/vocabulary.js'
import { randomId } from '../../src/core/ids.js'
import type { Revocable, RevocationCause } from '../../src/core/revocation/revocable.js'
import { InboundFrames, PAUSE_READING } from '../../src/core/inbound-frames.js'
import { parseClientJson } from '../../src/core/limits/index.js'
import { deniedEvents, maySubscribe } from './access.js'
import { decodeGrant } from './auth-grant.js'
import { encodeEventFrame, eventIdOf, eventNameOf, frameOf } from './event-wire.js'
import { AUTH_TOKEN_PURPOSE, type Gateway } from './gateway.js'
import { KeptSession } from './kept.js'
import { subscriptionsFull, topicProblem } from './limits.js'
import type { LiveHolder } from './liveness.js'
import {
  checkConnect, checkEnvelope, checkReconnect, checkSubscribe, checkUnsubscribe, reconnectReply, reply,
  type Envelope, type Status,
} from './messages.js'
import { missedKey, sessionKey, type SessionHead } from './record.js'
import { takeSession } from './resume.js'
import { subscriptionsKey } from './stored-subscriptions.js'
import { Subscriptions } from './subscriptions.js'

/**
 * new → connected (CONNECT) or resuming → connected (RECONNECT); connected → closed when the
 * socket drops (the session lives on as a KeptSession for the reconnect window) or the user is
 * removed. `closed` also ends refused connections. `dropping` is `resuming` once the socket has
 * gone: the RECONNECT finishes by keeping the session again (a state, not a flag: one field less
 * per connection, issue 21).
 */
type State = 'new' | 'resuming' | 'dropping' | 'connected' | 'closed'

const POLICY = 1008
const noop = () => {}
/** #authenticate refused the token unchecked: the address is over its failure budget. */
const THROTTLED = Symbol('throttled')

/**
 * One Telegraphy connection (§3.3–3.6): frames in, core calls, frames out. Frames are handled
 * strictly in order (§3.9.4); nothing a client sends throws out of here.
 */
export class TelegraphySession implements Subscriber, Revocable, LiveHolder {
  #state: State = 'new'
  /** Session token: known from CONNECT/RECONNECT on. */
  #token = ''
  liveSlot = -1
  #subs: Subscriptions | null = null
  /** Connect timeout while `new`. */
  #timer: NodeJS.Timeout | undefined
  /**
   * Client frames, strictly in order (§3.9.4); a flooding client's socket is paused. Made at a
   * frame, dropped when it has nothing left (framesIdle).
   */
  #frames: InboundFrames | null = null
  /** Live events that arrive while a RECONNECT collects the missed ones. */
  #buffer: HubMessage[] | null = null

  /**
   * Where the client connects from (a RECONNECT must match it, §3.9.7), read as a CONNECT or
   * RECONNECT is handled: the socket is open then (its close would have ended the `new` session),
   * and a connection that never sends one does not have Node cache its peer (issue 21).
   */
  #address = ''

  constructor (private readonly gateway: Gateway, private readonly connection: Connection) {
    this.#timer = setTimeout(() => this.#connectTimeout(), gateway.config.connectTimeout)
  }

  /** One client frame, handled after the ones before it; the promise (if any) settles once drained. */
  receive (text: string): Promise<void> | undefined {
    return (this.#frames ??= new InboundFrames(this.connection, this, PAUSE_READING)).receive(text)
  }

  /** The frame queue has nothing left: an idle session keeps none (InboundFrames, FrameSink). */
  framesIdle (): void {
    this.#frames = null
  }

  get token (): string {
    return this.#token
  }

  /** The socket is gone: a connected session is kept for the reconnect window. */
  socketClosed (): void {
    // Runs on the socket's close event, where nothing catches: a throw here would end the
    // process (issue 14), so a failure costs this session only.
    try {
      if (this.#state === 'new') {
        this.#clearTimer()
        this.#state = 'closed'
      } else if (this.#state === 'connected') {
        this.#detach([])
      } else if (this.#state === 'resuming') {
        this.#state = 'dropping'
      }
    } catch (err) {
      this.gateway.log.error({ err, connection: this.connection.id }, 'telegraphy: session not kept after its socket closed')
    }
  }

  /** Hub fan-out: the frame is built once per message and shared (design.md §4). */
  deliver (message: HubMessage): void {
    if (this.#subs === null || !this.#subs.matches(message)) return
    if (this.#state === 'connected') {
      this.connection.send(message.frame('telegraphy', encodeEventFrame))
    } else if (this.#state === 'resuming' || this.#state === 'dropping') {
      this.#buffer!.push(message)
    }
  }

  /** The access token the session's auth token was obtained with: revoking it ends the session. */
  get revocationToken (): string | null {
    return tokenIdOf(this.connection.principal)
  }

  /**
   * The core registry's revocation policy (user removed or disabled, password changed): the
   * session ends for good, nothing is kept (live record deleted), the socket closes (1008).
   */
  revoked (cause: RevocationCause): void {
    if (this.#state !== 'connected') return
    this.#state = 'closed'
    this.#subs = null
    this.gateway.services.subscriptions.leaveAll(this.connection)
    this.gateway.liveness.release(this).catch(noop)
    this.gateway.services.store.delete(subscriptionsKey(this.#token)).catch(noop)
    this.connection.close(POLICY, cause === 'user-revoked' ? 'user removed' : 'credentials revoked')
  }

  /**
   * The user's roles changed (access.onRolesChanged, from any node): the subscriptions the rules
   * no longer allow stop, in the store too. Telegraphy has no push for a subscription ended by
   * the server (§3.4), so their events just stop coming; a RECONNECT does not list them.
   */
  accessChanged (): void {
    if (this.#state !== 'connected') return
    this.#dropDenied(this.connection.principal).catch((err: unknown) => {
      this.gateway.log.error({ err, connection: this.connection.id }, 'telegraphy: subscriptions not re-checked after a roles change')
    })
  }

  /**
   * With the subscriptions hash, what a survivor needs to resume this session if this node dies
   * (liveness.ts). Server data only: nothing a client sent is serialised here.
   */
  liveHead (): SessionHead {
    return { principal: this.connection.principal!, address: this.#address, holder: this.gateway.nodeId }
  }

  /** Called by the session's InboundFrames, in arrival order. */
  async handleFrame (text: string): Promise<void> {
    if (this.#state === 'closed') return
    // Depth is checked on the text before anything parses or walks it (issue 14): a value nested
    // thousands deep once overflowed the stack where the session record was serialised.
    const parsed = parseClientJson(text, this.gateway.services.config.limits.maxDepth)
    if (!parsed.ok) {
      return this.#reply(null, false, 'INVALID_MESSAGE', parsed.reason === 'too-deep' ? parsed.message : 'malformed JSON')
    }
    const frame = parsed.value
    if (!checkEnvelope.Check(frame)) {
      const id = (frame as { id?: unknown } | null)?.id
      return this.#reply(Number.isInteger(id) ? id as number : null, false, 'INVALID_MESSAGE', 'a message needs a string `message` and an integer `id`')
    }
    // The seed's names are upper case; the seed-era demo client sent lower case (§3.1).
    switch (frame.message.toUpperCase()) {
      case 'CONNECT': return this.#connect(frame)
      case 'RECONNECT': return this.#reconnect(frame)
      case 'SUBSCRIBE': return this.#state === 'connected' ? this.#subscribe(frame) : this.#notConnected(frame)
      case 'UNSUBSCRIBE': return this.#state === 'connected' ? this.#unsubscribe(frame) : this.#notConnected(frame)
      default: return this.#reply(frame.id, false, 'UNKNOWN_MESSAGE', `unknown message ${JSON.stringify(frame.message)}`)
    }
  }

  async #connect (frame: Envelope): Promise<void> {
    if (this.#state !== 'new') return this.#reply(frame.id, false, 'ALREADY_CONNECTED', 'this connection is already connected')
    if (!checkConnect.Check(frame.args)) return this.#reply(frame.id, false, 'INVALID_MESSAGE', 'CONNECT needs args.auth_token (a string)')
    this.#address = this.connection.remoteAddress
    // A CONNECT arrived: the slow-DOS guard (§3.6) has done its job.
    this.#clearTimer()
    const principal = await this.#authenticate(frame.args.auth_token)
    if (this.#state !== 'new') return
    if (principal === THROTTLED) return this.#refuse(frame.id, 'TOO_MANY_ATTEMPTS', 'too many failed attempts from this address; try again later')
    if (!principal) return this.#refuse(frame.id, 'INVALID_TOKEN', 'auth token is unknown, used or expired')
    this.#token = randomId(24)
    this.gateway.services.connections.authenticated(this.connection, principal, this)
    this.#state = 'connected'
    // Before the reply: once the client has its session token, a survivor can resume it.
    await this.gateway.liveness.hold(this)
    this.#reply(frame.id, true, 'CONNECTED', undefined, { session_token: this.#token })
  }

  /** A one-time token's principal, null when it is not valid, THROTTLED when not even checked. */
  async #authenticate (authToken: string): Promise<Principal | null | typeof THROTTLED> {
    const { config, services } = this.gateway
    if (authToken === '') return config.requireAuth ? null : anonymous(this.connection)
    // A presented token is a guess until proven: failures count against the address.
    const verdict = await services.throttle.guard({ address: this.#address, protocol: 'telegraphy' }, async (): Promise<Principal | null> => {
      const value = await services.tokens.takeOneTime(AUTH_TOKEN_PURPOSE, authToken)
      if (value === null) return null
      const grant = decodeGrant(value)
      if (grant === null) return anonymous(this.connection)
      const user = await services.identity.find(grant.username)
      if (!user) return null
      // A token narrowed away from admin does not speak for an admin (src/core/tokens).
      const admin = user.admin && (grant.roles === undefined || grant.roles.includes(ADMIN_ROLE))
      return userPrincipal({ ...grant, username: user.username, admin })
    })
    return verdict.ok ? verdict.value : verdict.reason === 'denied' ? null : THROTTLED
  }

  async #reconnect (frame: Envelope): Promise<void> {
    if (this.#state !== 'new') return this.#reply(frame.id, false, 'ALREADY_CONNECTED', 'this connection is already connected')
    // §3.4: the seed puts session_token at top level; args.session_token is accepted too.
    const carrier = frame.session_token !== undefined && frame.session_token !== null ? frame : frame.args
    if (!checkReconnect.Check(carrier)) return this.#reply(frame.id, false, 'INVALID_MESSAGE', 'RECONNECT needs session_token (a string)')
    const token = carrier.session_token
    this.#address = this.connection.remoteAddress
    this.#clearTimer()
    const verdict = await this.gateway.services.throttle.guard({ address: this.#address, protocol: 'telegraphy' }, () => takeSession(this.gateway, token, this.#address))
    if (!verdict.ok) {
      if (this.#state !== 'new') return
      if (verdict.reason === 'denied') this.#refuse(frame.id, 'INVALID_SESSION', 'session is unknown, expired, connected or bound to another host')
      else this.#refuse(frame.id, 'TOO_MANY_ATTEMPTS', 'too many failed attempts from this address; try again later')
      return
    }
    const found = verdict.value
    // Taken: the session is this connection's now, even if its socket went meanwhile (`closed`
    // from `new`: it is then kept again below, as a drop).
    const { record, keepers } = found
    const { store, subscriptions } = this.gateway.services
    this.#token = token
    // Indexed once connected (below): a revocation meanwhile finds the record gone or the kept session.
    this.connection.principal = record.principal
    // (A cast: TypeScript does not see the close event change the state during the await.)
    this.#state = (this.#state as State) === 'closed' ? 'dropping' : 'resuming'
    this.#buffer = []
    const subs = this.#subs = Subscriptions.restore(record.subscriptions)
    // What the rules deny now does not come back, whatever the session was allowed when it was
    // dropped (its roles may have changed since, on any node), nor do the events kept for it.
    let epoch = this.gateway.accessEpoch
    const denied = await this.#dropDenied(record.principal)
    await Promise.all(Array.from(subs.topics(), (topic) => subscriptions.join(this.connection, topic, this)))
    // Presence names a Telegraphy subscription by its event name (one per name, whatever its filters).
    for (const name of subs.eventNames()) this.gateway.services.connections.subscribed(this.connection, name)
    // Now live events reach this session; the keepers stop keeping them and flush.
    await this.gateway.claim(token, keepers)
    const missed = await store.drain(missedKey(token))
    await this.gateway.liveness.hold(this)
    // Not indexed by user yet, so a roles change meanwhile did not reach this session: ask again.
    while (epoch !== this.gateway.accessEpoch) {
      epoch = this.gateway.accessEpoch
      for (const name of await this.#dropDenied(record.principal)) denied.add(name)
    }
    const pending = withoutRepeats(missed, this.#buffer, denied)
    this.#buffer = null
    if (this.#state === 'dropping') return this.#detach(pending)
    this.connection.send(reconnectReply(frame.id, subs.views()))
    for (const payload of pending) this.connection.send(frameOf(payload))
    this.#state = 'connected'
    this.gateway.services.connections.authenticated(this.connection, record.principal, this)
  }

  async #subscribe (frame: Envelope): Promise<void> {
    const args = frame.args
    if (!checkSubscribe.Check(args)) return this.#reply(frame.id, false, 'INVALID_MESSAGE', 'SUBSCRIBE needs args {event_name, filters?, permanent?, lazy?}')
    const { limits } = this.gateway.services.config
    const problem = topicProblem(args.event_name, args.filters, limits) ?? subscriptionsFull(this.#subs, args.event_name, args.filters, limits)
    if (problem !== null) return this.#reply(frame.id, false, 'INVALID_MESSAGE', problem)
    // Before the registry: a denied client learns nothing about which names are registered.
    const epoch = this.gateway.accessEpoch
    const decision = maySubscribe(this.gateway.services, this.connection.principal, args.event_name, this.connection.id)
    if (decision !== true && !(await decision)) {
      return this.#reply(frame.id, false, 'FORBIDDEN', 'not allowed to receive this event', { event_name: args.event_name })
    }
    if (!args.lazy && !(await this.gateway.registry.isRegistered(args.event_name))) {
      return this.#reply(frame.id, false, 'EVENT_NOT_REGISTERED', 'event is not registered', { event_name: args.event_name })
    }
    // The limit again: another SUBSCRIBE may have been added while the registry answered.
    if (this.#state !== 'connected' || subscriptionsFull(this.#subs, args.event_name, args.filters, limits) !== null) return
    // Roles changed while this was decided: their re-check did not see this subscription yet.
    if (epoch !== this.gateway.accessEpoch) return this.#subscribe(frame)
    this.#subs ??= new Subscriptions()
    const { topic, first, field, value } = this.#subs.add(args)
    // Only this subscription is written (issue 14, item 3), so a resume restores it. Sent before
    // anything is awaited: a drop meanwhile gives the hash its ttl after this write, not before.
    const stored = this.#mirrored
      ? this.gateway.services.store.hashSet(subscriptionsKey(this.#token), field, value, this.gateway.liveness.subscriptionsTtl).catch((err: Error) => this.#notStored(err))
      : undefined
    if (first) {
      const live = this.gateway.services.subscriptions.join(this.connection, topic, this)
      // Announced as it is joined, so an UNSUBSCRIBE or a close while it goes live follows it.
      this.gateway.services.connections.subscribed(this.connection, args.event_name)
      await live
    }
    await stored
    this.#reply(frame.id, true, 'SUBSCRIBED', undefined, { event_name: args.event_name })
  }

  async #unsubscribe (frame: Envelope): Promise<void> {
    const args = frame.args
    if (!checkUnsubscribe.Check(args)) return this.#reply(frame.id, false, 'INVALID_MESSAGE', 'UNSUBSCRIBE needs args {event_name, filters?}')
    const problem = topicProblem(args.event_name, args.filters, this.gateway.services.config.limits)
    if (problem !== null) return this.#reply(frame.id, false, 'INVALID_MESSAGE', problem)
    const removed = this.#subs?.remove(args.event_name, args.filters)
    if (!removed) return this.#reply(frame.id, false, 'NOT_SUBSCRIBED', 'no such subscription', { event_name: args.event_name })
    const stored = this.#mirrored ? this.gateway.services.store.hashDelete(subscriptionsKey(this.#token), removed.field).catch((err: Error) => this.#notStored(err)) : undefined
    if (removed.last) {
      this.gateway.services.connections.unsubscribed(this.connection, args.event_name)
      await this.gateway.services.subscriptions.leave(this.connection, removed.topic)
    }
    await stored
    this.#reply(frame.id, true, 'UNSUBSCRIBED', undefined, { event_name: args.event_name })
  }

  /**
   * Ends the subscriptions `principal` may no longer have — in the session, the store (so no
   * RECONNECT brings them back) and the hub — and returns their event names.
   */
  async #dropDenied (principal: Principal | null): Promise<Set<string>> {
    const subs = this.#subs
    if (subs === null || subs.size === 0) return new Set()
    const denied = await deniedEvents(this.gateway.services, principal, subs.eventNames(), this.connection.id)
    // Dropped meanwhile: its subscriptions moved to a kept session, which a RECONNECT re-checks.
    if (this.#subs !== subs) return new Set()
    const { store, subscriptions, connections } = this.gateway.services
    for (const name of denied) {
      const removed = subs.removeEvent(name)
      if (removed === null) continue
      // Only what was announced: a resume drops the denied ones before it joins the rest.
      if (subscriptions.has(this.connection, removed.topic)) connections.unsubscribed(this.connection, name)
      if (this.#mirrored) for (const field of removed.fields) store.hashDelete(subscriptionsKey(this.#token), field).catch((err: Error) => this.#notStored(err))
      subscriptions.leave(this.connection, removed.topic).catch((err: Error) => this.#notStored(err))
    }
    return denied
  }

  /**
   * True when a connected session's subscriptions are kept in the store as they change, for a
   * survivor to resume it if this node dies (liveness.ts). On a single node nothing outlives the
   * process: they are written when the socket drops (#detach), and until then the store holds
   * no copy of what the session holds (issue 21: ~450 bytes per idle connection).
   */
  get #mirrored (): boolean {
    return this.gateway.shared
  }

  /** A store error on a subscription change, logged with this connection (a method: no closure kept per session). */
  #notStored (err: Error): void {
    this.gateway.subscriptionNotStored(err, this.connection.id)
  }

  #notConnected (frame: Envelope): void {
    this.#reply(frame.id, false, 'NOT_CONNECTED', 'send CONNECT or RECONNECT first')
  }

  #connectTimeout (): void {
    if (this.#state === 'new') this.#refuse(null, 'CONNECT_TIMEOUT', 'CONNECT not received')
  }

  #reply (id: number | null, success: boolean, status: Status, message?: string, data?: Record<string, unknown>): void {
    this.connection.send(reply(id, success, status, message === undefined ? data : { message, ...data }))
  }

  /** Replies and closes (INVALID_TOKEN, INVALID_SESSION, CONNECT_TIMEOUT). */
  #refuse (id: number | null, status: Status, message: string): void {
    this.#clearTimer()
    this.#state = 'closed'
    this.#reply(id, false, status, message)
    this.connection.close(POLICY, status)
  }

  /**
   * The socket dropped: the session is kept for the reconnect window by a KeptSession (its
   * subscriptions move there), its record written for a RECONNECT on any node, its live record
   * deleted (after: a RECONNECT finds one or the other). `pending` are events not delivered yet
   * (a socket lost during its own RECONNECT).
   */
  #detach (pending: string[]): void {
    const { config, services } = this.gateway
    const subs = this.#subs ?? new Subscriptions()
    // Not mirrored: written now. First, so nothing has changed yet should it throw (it cannot:
    // each was encoded once already, as it was made).
    const unstored = this.#mirrored ? [] : subs.stored()
    this.#state = 'closed'
    const head = this.liveHead()
    const kept = new KeptSession(this.gateway, this.#token, this.gateway.nodeId)
    for (const payload of pending) kept.keep(payload)
    kept.takeOver(head.principal, subs)
    // After the kept session subscribed: the topics never go without a subscriber here.
    services.subscriptions.leaveAll(this.connection)
    this.#subs = null
    const notKept = (err: Error) => this.gateway.log.warn({ err: err.message, connection: this.connection.id }, 'telegraphy: session not kept')
    // The head names no client data, so this runs on a socket's close event without any risk of
    // throwing. The subscriptions outlive the head by the hand-over time, since whoever takes the
    // head reads them after (the unmirrored ones are written before it).
    const subsTtl = config.reconnectWindow + config.handoverTimeout
    for (const [field, value] of unstored) services.store.hashSet(subscriptionsKey(this.#token), field, value, subsTtl).catch(notKept)
    services.store.set(sessionKey(this.#token), JSON.stringify(head), config.reconnectWindow).catch(notKept)
    if (this.#mirrored) services.store.touch(subscriptionsKey(this.#token), subsTtl).catch(notKept)
    this.gateway.liveness.release(this).catch(noop)
  }

  #clearTimer (): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
  }
}

/**
 * The events to send after a RECONNECT, in order: the missed ones, then the live ones that
 * arrived meanwhile. An event can be in both, or twice in the missed list (a stopping node and
 * its adopter both kept it): only its first copy is sent. Events of a `denied` name are not sent.
 */
function withoutRepeats (missed: string[], live: HubMessage[], denied: Set<string>): string[] {
  const seen = new Set<string>()
  const out: string[] = []
  const add = (payload: string) => {
    const id = eventIdOf(payload)
    if (seen.has(id) || (denied.size > 0 && denied.has(eventNameOf(payload)))) return
    seen.add(id)
    out.push(payload)
  }
  for (const payload of missed) add(payload)
  for (const message of live) add(message.raw)
  return out
}

/**
 * Named after the connection it connected on: as unique as a random id, without a string of its
 * own per idle connection (issue 21). Nothing reads it; a resumed session keeps it.
 */
function anonymous (connection: Connection): Principal {
  return { kind: 'anonymous', id: connection.id }
}
