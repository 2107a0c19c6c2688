import type { Authorizer, Decision } from '../../src/core/access/authorizer.js'
import type { AccessAction } from '../../src/core/access/vocabulary.js'
import { endAuthWindow, startAuthWindow } from '../../src/core/auth-window.js'
import type { LimitsConfig } from '../../src/config/schema.js'
import type { BackendReply, Backend } from '../../src/core/backend/backend.js'
import type { Connection, Frame } from '../../src/core/connection.js'
import type { ConnectionRegistry } from '../../src/core/connection-registry.js'
import type { OutboundPressure } from '../../src/core/limits/outbound-pressure.js'
import { InboundFrames, PAUSE_READING } from '../../src/core/inbound-frames.js'
import type { ConnectionTopics } from '../../src/core/hub/connection-topics.js'
import type { Hub, Subscriber } from '../../src/core/hub/hub.js'
import type { HubMessage } from '../../src/core/hub/message.js'
import type { CredentialThrottle } from '../../src/core/throttle/credential-throttle.js'
import { parseClientJson } from '../../src/core/limits/index.js'
import { secretMatches } from './db.js'
import {
  ERRORS, LOGGED_OUT, checkChannelName, checkEnvelope, checkEventName, isName, checkPayloadObject, checkSecret, checkUserName, reply, triggerRejected, undefinedEvent,
} from './messages.js'
import { READ, WRITE } from './permissions.js'
import type { Vhost, VhostMember } from './vhost-registry.js'

export interface SessionContext {
  hub: Hub
  /** The core's per-connection topics: joined and left through it, left all at once on close. */
  subscriptions: ConnectionTopics
  /** Where `trigger` goes (spec §2.8 decision; design.md §2 Backend). */
  backend: Backend
  /** Every authenticate goes through it (README, "Throttling"). */
  throttle: CredentialThrottle
  /** `protocols.webrocket.authWindow`: ms a socket may stay unauthenticated; 0 = forever (spec §2.6). */
  authWindow: number
  /** Input limits (issue 14): frame depth, subscriptions per connection. */
  limits: Pick<LimitsConfig, 'maxDepth' | 'subscriptionsPerConnection'>
  /** Asked for every subscribe and broadcast while the rules restrict WebRocket (README "Authorization"). */
  access: Authorizer
  /** The permission bit a subscribe needs to create a missing channel (`protocols.webrocket.createChannels`). */
  createChannels: number
  /** Told of each successful authenticate (connection logs, metrics): vhost users are no core users. */
  connections: Pick<ConnectionRegistry, 'identified' | 'subscribed' | 'unsubscribed'>
  /** The fan-out's admission control: a broadcast waits while the node's sockets hold too much unread. */
  outbound: Pick<OutboundPressure, 'congested' | 'relieved'>
  onError (err: unknown): void
}

type Data = Record<string, unknown>

/** The wire format name under which a hub message's WebRocket frame is cached. */
export const FORMAT = 'webrocket'

/**
 * Vhost users are not core users: they hold no roles, and a core user's roles must not reach
 * a vhost user of the same name (an empty `roles` claim narrows them all away).
 */
const NO_ROLES: readonly string[] = Object.freeze([])

/**
 * A broadcast travels through the hub as the inner object's JSON (spec §2.4: delivered
 * verbatim), so the frame is that text as a Buffer, made once per message for every subscriber.
 */
export function encodeDelivery (message: HubMessage): Frame {
  return Buffer.from(message.raw)
}

/**
 * One WebSocket connection on a vhost (spec §2.4–2.7). Frames are handled one at a time in
 * arrival order, so replies come in request order (a `trigger` answers when its backend
 * does, without holding up the frames after it). The session is the hub subscriber of every
 * channel it joined: delivery is one cached-frame lookup and one send, nothing allocated.
 */
export class WebrocketSession implements Subscriber, VhostMember {
  #user: string | null = null
  /** Made at a frame, dropped when it has nothing left (framesIdle). */
  #frames: InboundFrames | null = null
  #closed = false
  #authTimer: NodeJS.Timeout | undefined

  constructor (readonly connection: Connection, readonly vhost: Vhost, private readonly ctx: SessionContext) {
    vhost.members.add(this)
    // The spec has no timers (§2.6), so this is off unless configured; closed without a reply, as `disconnect` is.
    this.#authTimer = startAuthWindow(ctx.authWindow, () => connection.close(1008, 'not authenticated'))
  }

  get user (): string | null {
    return this.#user
  }

  deliver (message: HubMessage): void {
    this.connection.send(message.frame(FORMAT, encodeDelivery))
  }

  /** A text frame from the client; the promise (if any) settles once the queue is drained. */
  receive (text: string): Promise<void> | undefined {
    return (this.#frames ??= new InboundFrames(this.connection, this, PAUSE_READING)).receive(text)
  }

  /** The frame queue has nothing left: an idle session keeps none (InboundFrames, FrameSink). */
  framesIdle (): void {
    this.#frames = null
  }

  /** The socket closed: leave every channel and the vhost. */
  socketClosed (): void {
    this.#closed = true
    clearTimeout(this.#authTimer)
    this.#frames?.clear()
    this.vhost.members.delete(this)
    this.#leaveAll()
  }

  close (code: number, reason: string): void {
    this.connection.close(code, reason)
  }

  dropChannel (channel: string): void {
    const topic = this.vhost.topicPrefix + channel
    if (!this.ctx.subscriptions.has(this.connection, topic)) return
    this.ctx.subscriptions.leave(this.connection, topic).catch(this.ctx.onError)
    this.ctx.connections.unsubscribed(this.connection, this.#presenceChannel(channel))
  }

  /** The channel as presence and the connection observers name it: `vhost/channel` (`/echo/hello`). */
  #presenceChannel (channel: string): string {
    return `${this.vhost.path}/${channel}`
  }

  #send (frame: string): void {
    this.connection.send(frame)
  }

  #can (permission: number): boolean {
    return this.#user !== null && (this.vhost.permissionsOf(this.#user) & permission) !== 0
  }

  /**
   * Whether the rules let this session's user do `action` on `channel` (resource `/vhost/channel`).
   * Not asked at all while nothing restricts WebRocket: the broadcast path stays as it was.
   */
  #may (action: AccessAction, channel: string): Decision {
    const { access } = this.ctx
    if (!access.restricted(FORMAT)) return true
    return access.authorize({
      protocol: FORMAT,
      action,
      resource: `${this.vhost.path}/${channel}`,
      principal: { kind: 'user', username: this.#user!, admin: false, roles: NO_ROLES },
      connectionId: this.connection.id,
    })
  }

  #leaveAll (): void {
    this.ctx.subscriptions.leaveAll(this.connection)
  }

  /**
   * Called by the session's InboundFrames, in arrival order. Not async itself: the request's own
   * handler is the only promise made for a frame (issue 8).
   */
  handleFrame (text: string): Promise<void> | void {
    if (this.#closed) return
    // §2.7 [DEVIATION]: upstream ignored invalid JSON; nesting past limits.maxDepth is refused
    // before anything parses it (issue 14: a deep broadcast closed the socket 1011).
    const parsed = parseClientJson(text, this.ctx.limits.maxDepth)
    if (!parsed.ok) return this.#send(ERRORS.INVALID_PAYLOAD)
    const frame = parsed.value
    // §2.7 [DEVIATION]: zero or several keys crashed upstream's connection.
    if (!checkEnvelope.Check(frame)) return this.#send(ERRORS.INVALID_PAYLOAD)
    const event = Object.keys(frame)[0]
    const data = (frame as Data)[event]
    switch (event) {
      case 'authenticate': return this.#authenticate(data)
      case 'subscribe': return this.#subscribe(data)
      case 'unsubscribe': return this.#unsubscribe(data)
      case 'broadcast': return this.#broadcast(data)
      case 'trigger': return this.#trigger(data)
      case 'logout': return this.#logout()
      case 'disconnect': return this.#disconnect()
      default: return this.#send(undefinedEvent(event))
    }
  }

  /** §2.4: replaces the session on success (subscriptions kept), leaves it as it was on failure. */
  async #authenticate (data: unknown): Promise<void> {
    if (!checkPayloadObject.Check(data)) return this.#send(ERRORS.INVALID_PAYLOAD)
    const { user, secret } = data as Data
    if (!checkUserName.Check(user)) return this.#send(ERRORS.INVALID_USER_NAME)
    // No user can have a name past the name rules (README "Limits"), and such text (NUL) must not reach the database.
    if (user !== '' && !isName(user)) return this.#send(ERRORS.INVALID_USER_NAME)
    // An unknown user is a failure too: it costs the address (the vhost's user names are guessable).
    let found = true
    const verdict = await this.ctx.throttle.guard({ address: this.connection.remoteAddress, account: `webrocket:${this.vhost.path}:${user}`, protocol: 'webrocket' }, async () => {
      const row = await this.vhost.findUser(user)
      found = row !== null
      return row !== null && secretMatches(row.secretHash, checkSecret.Check(secret) ? secret : '')
    })
    if (!verdict.ok) {
      if (verdict.reason === 'throttled') return this.#send(ERRORS.TOO_MANY_ATTEMPTS)
      if (verdict.reason === 'busy') return this.#send(ERRORS.SERVER_BUSY)
      return this.#send(found ? ERRORS.INVALID_CREDENTIALS : ERRORS.USER_NOT_FOUND)
    }
    if (this.#closed) return
    this.#user = user
    this.#authTimer = endAuthWindow(this.#authTimer)
    this.ctx.connections.identified(this.connection, user)
    this.#send(reply('authenticated', user))
  }

  /**
   * §2.4: READ first; the channel is created if needed and active before the reply. Issue 14
   * (README "Limits"): a connection holds at most `subscriptionsPerConnection` channels, past it
   * `ACCESS_DENIED`; a new channel past the vhost's quota is not created: `CHANNEL_NOT_FOUND`.
   * Issue 16 (README "Authorization"): a subscribe the rules deny, or one that would create a
   * channel without the permission `createChannels` names (MANAGE), is `ACCESS_DENIED`.
   */
  async #subscribe (data: unknown): Promise<void> {
    if (!this.#can(READ)) return this.#send(ERRORS.ACCESS_DENIED)
    if (!checkPayloadObject.Check(data)) return this.#send(ERRORS.INVALID_PAYLOAD)
    const { channel } = data as Data
    if (!checkChannelName.Check(channel) || !isName(channel)) return this.#send(ERRORS.INVALID_CHANNEL_NAME)
    const topic = this.vhost.topicPrefix + channel
    // One topic per channel: the core's count of this connection's topics is its channel count.
    const joined = this.ctx.subscriptions.has(this.connection, topic)
    if (!joined && this.ctx.subscriptions.countOf(this.connection) >= this.ctx.limits.subscriptionsPerConnection) return this.#send(ERRORS.ACCESS_DENIED)
    // The rules before the channel is made: a denied subscribe creates nothing.
    const decision = this.#may('subscribe', channel)
    if (decision !== true && !(await decision)) return this.#send(ERRORS.ACCESS_DENIED)
    const mayCreate = this.#can(this.ctx.createChannels)
    if (!(await this.vhost.ensureChannel(channel, mayCreate))) return this.#send(mayCreate ? ERRORS.CHANNEL_NOT_FOUND : ERRORS.ACCESS_DENIED)
    if (this.#closed) return
    if (!this.ctx.subscriptions.has(this.connection, topic)) {
      const live = this.ctx.subscriptions.join(this.connection, topic, this)
      // Announced as it is joined, so an unsubscribe or a close while it goes live follows it.
      this.ctx.connections.subscribed(this.connection, this.#presenceChannel(channel))
      await live
    }
    this.#send(reply('subscribed', channel))
  }

  /** §2.4: succeeds on an existing channel the client was not on. */
  async #unsubscribe (data: unknown): Promise<void> {
    if (!this.#can(READ)) return this.#send(ERRORS.ACCESS_DENIED)
    if (!checkPayloadObject.Check(data)) return this.#send(ERRORS.INVALID_PAYLOAD)
    const { channel } = data as Data
    if (!checkChannelName.Check(channel) || !isName(channel)) return this.#send(ERRORS.INVALID_CHANNEL_NAME)
    if (!(await this.vhost.hasChannel(channel))) return this.#send(ERRORS.CHANNEL_NOT_FOUND)
    this.dropChannel(channel)
    this.#send(reply('unsubscribed', channel))
  }

  /** §2.4: WRITE first; subscribers get the inner object verbatim, the sender `broadcasted`. */
  async #broadcast (data: unknown): Promise<void> {
    if (!this.#can(WRITE)) return this.#send(ERRORS.ACCESS_DENIED)
    if (!checkPayloadObject.Check(data)) return this.#send(ERRORS.INVALID_PAYLOAD)
    const { event, channel } = data as Data
    if (!checkEventName.Check(event) || !isName(event)) return this.#send(ERRORS.INVALID_EVENT_NAME)
    if (!checkChannelName.Check(channel) || !isName(channel)) return this.#send(ERRORS.INVALID_CHANNEL_NAME)
    // The rules before the channel's existence: a denied client learns nothing of the channels.
    const decision = this.#may('publish', channel)
    if (decision !== true && !(await decision)) return this.#send(ERRORS.ACCESS_DENIED)
    if (!this.vhost.channels.has(channel) && !(await this.vhost.hasChannel(channel))) return this.#send(ERRORS.CHANNEL_NOT_FOUND)
    // Past saturation the broadcast waits, and so do the frames behind it: once enough queue,
    // this client stops being read, and TCP slows it down (issue 21).
    if (this.ctx.outbound.congested) await this.ctx.outbound.relieved()
    if (this.#closed) return
    // Not awaited: local subscribers are served synchronously inside publish, and waiting for
    // Redis would cap one client's broadcast rate at one per round trip.
    this.ctx.hub.publishRaw(this.vhost.topicPrefix + channel, JSON.stringify(data)).catch(this.ctx.onError)
    this.#send(reply('broadcasted', channel))
  }

  /** §2.8 decision: WRITE, then the event goes to the configured backend. */
  async #trigger (data: unknown): Promise<void> {
    if (!this.#can(WRITE)) return this.#send(ERRORS.ACCESS_DENIED)
    if (!checkPayloadObject.Check(data)) return this.#send(ERRORS.INVALID_PAYLOAD)
    const { event, data: payload } = data as Data
    if (!checkEventName.Check(event) || !isName(event)) return this.#send(ERRORS.INVALID_EVENT_NAME)
    if (!this.ctx.backend.configured) return this.#send(ERRORS.ASSIGNATION_FAILED)
    this.ctx.backend.call({
      protocol: FORMAT, name: event, data: payload ?? null, user: this.#user, connectionId: this.connection.id, vhost: this.vhost.path,
    }).then((answer) => this.#send(triggerReply(answer, event)),
      /* c8 ignore next 4 -- the core Backend answers every failure as `failed` and never rejects;
         this keeps a future one that does from leaving the client without a reply. */
      (err: unknown) => {
        this.ctx.onError(err)
        this.#send(ERRORS.ASSIGNATION_FAILED)
      })
  }

  /** §2.4 / §2.9 item 3: needs READ, value not inspected. */
  #logout (): void {
    if (!this.#can(READ)) return this.#send(ERRORS.ACCESS_DENIED)
    // The socket stays open: its channels end one by one for the connection observers (presence).
    const prefix = this.vhost.topicPrefix
    for (const topic of this.ctx.subscriptions.topicsOf(this.connection)) {
      if (topic.startsWith(prefix)) this.ctx.connections.unsubscribed(this.connection, this.#presenceChannel(topic.slice(prefix.length)))
    }
    this.#leaveAll()
    this.#user = null
    this.#send(LOGGED_OUT)
  }

  /** §2.4: no reply, the socket is closed. */
  #disconnect (): void {
    this.#leaveAll()
    this.#closed = true
    this.connection.close(1000, 'disconnect')
  }
}

/**
 * The backend's answer in WebRocket's words: accepted ⇒ `triggered`; a 403 refusal ⇒
 * `ACCESS_DENIED` (the application refused this user); another 4xx ⇒ `TRIGGER_REJECTED` with
 * the backend's status (the handler turned this request down); a 404 (no handler for the
 * event), a failure or no backend ⇒ `ASSIGNATION_FAILED` ("no active worker which can handle it").
 */
function triggerReply (answer: BackendReply, event: string): string {
  switch (answer.kind) {
    case 'ok': return reply('triggered', event)
    case 'refused': return ERRORS.ACCESS_DENIED
    case 'rejected': return triggerRejected(answer.status)
    default: return ERRORS.ASSIGNATION_FAILED
  }
}
