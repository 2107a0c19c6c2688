import { endAuthWindow, startAuthWindow } from '../../src/core/auth-window.js'
import type { Frame, Principal } from '../../src/core/connection.js'
import { InboundFrames, type InboundPolicy } from '../../src/core/inbound-frames.js'
import type { Revocable } from '../../src/core/revocation/revocable.js'
import type { WsConnection } from '../../src/http/websocket/ws-connection.js'
import { parseClientJson } from '../../src/core/limits/index.js'
import type { Caller } from './access.js'
import * as commands from './commands.js'
import type { ReallyContext } from './context.js'
import { Errors, ReallyError, type CommandError } from './errors.js'
import { checkEnvelope, checkInitialize, checkSubscribe, checkUnsubscribe } from './messages.js'
import { tooDeep } from './limits.js'
import { Subscriptions } from './subscriptions.js'
import { readReallyToken, usernameOf, type ReallyClaims, type UserInfo } from './tokens.js'

type Json = Record<string, unknown>

// setTimeout cannot wait longer than this; longer waits are done in steps.
const MAX_TIMER = 2 ** 31 - 1

/**
 * A client may pipeline requests, but not without bound: past `maxPendingRequests` queued it is
 * closed (1008) instead of being buffered (README "Decisions", close codes).
 */
export const inboundPolicy = (limit: number): InboundPolicy =>
  ({ kind: 'close', limit, overflow: (connection) => connection.close(1008, 'too many pending requests') })

class RequestTimeout extends Error {}

/**
 * Who the authorizer sees: a core user, with a narrowed access token's `roles` and `channels`
 * claims when it initialized with one; an anonymous token owns and holds nothing.
 */
function principalOf (username: string | null, { user, access }: ReallyClaims): Principal {
  if (username === null) return { kind: 'anonymous', id: user.uid }
  const principal: Principal = { kind: 'user', username, admin: access?.admin ?? false }
  if (access?.roles !== undefined) principal.roles = access.roles
  if (access?.channels !== undefined) principal.channels = access.channels
  return principal
}

/**
 * One Really connection (spec §4.4): uninitialized until a valid `initialize`, then commands.
 * Frames are handled one at a time in arrival order, so replies keep the request order and a
 * `create` followed by a `get` sees its object. Every reply echoes the request's `tag`; pushes
 * never carry one (spec §6.2).
 */
export class ReallySession implements Revocable {
  user: UserInfo | null = null
  #caller: Caller | null = null
  #revocationToken: string | null = null
  #closed = false
  /** Made at a frame, dropped when it has nothing left (framesIdle). */
  #frames: InboundFrames | null = null
  #idleTimer: NodeJS.Timeout | undefined
  #expiryTimer: NodeJS.Timeout | undefined
  #authTimer: NodeJS.Timeout | undefined
  readonly #subscriptions: Subscriptions

  constructor (private readonly ctx: ReallyContext, private readonly connection: WsConnection) {
    this.#subscriptions = new Subscriptions(ctx, connection, { push: (frame: Frame) => this.connection.send(frame) })
    if (ctx.config.idleTimeout > 0) {
      this.#idleTimer = setTimeout(() => this.#kick(), ctx.config.idleTimeout)
    }
    this.#authTimer = startAuthWindow(ctx.config.authWindow, () => this.#notInitialized())
  }

  /** The `jti` of the core access token it initialized with: revoking that token reaches it. */
  get revocationToken (): string | null {
    return this.#revocationToken
  }

  /** A frame arrived: any frame counts as activity (spec §4.7). The promise settles once drained. */
  receive (text: string): Promise<void> | undefined {
    if (this.#closed) return
    this.#idleTimer?.refresh()
    return (this.#frames ??= new InboundFrames(this.connection, this, this.ctx.inbound)).receive(text)
  }

  /** The frame queue has nothing left: an idle session keeps none (InboundFrames, FrameSink). */
  framesIdle (): void {
    this.#frames = null
  }

  /**
   * The core registry's revocation policy (Revocable): the user was removed or disabled, or its
   * password changed — spec §4.4 "Token Revoked": `token-expired` pushed, then close (1008).
   */
  revoked (): void {
    this.#tokenExpired()
  }

  /**
   * The user's roles changed on some node (one plugin listener, README "Authorization"): each
   * subscription is asked again; one no longer allowed ends with a `failed` 403 push.
   */
  rolesChanged (): void {
    if (!this.#closed) this.#subscriptions.rolesChanged().catch(() => {})
  }

  socketClosed (): void {
    this.#closed = true
    this.#frames?.clear()
    clearTimeout(this.#idleTimer)
    clearTimeout(this.#expiryTimer)
    clearTimeout(this.#authTimer)
    this.#subscriptions.close()
  }

  #send (frame: Json): void {
    this.connection.send(JSON.stringify(frame))
  }

  #reply (tag: number | undefined, error: CommandError, r?: string): void {
    this.#send({ ...(tag === undefined ? {} : { tag }), ...(r === undefined ? {} : { r }), error })
  }

  /** Called by the session's InboundFrames, in arrival order. */
  async handleFrame (text: string): Promise<void> {
    if (this.#closed) return
    // Depth is read on the text before anything parses or walks it (issue 14): a valid frame
    // nested too deep gets 409 without a tag (it was never read) and the connection stays.
    const parsed = parseClientJson(text, this.ctx.services.config.limits.maxDepth)
    if (!parsed.ok && parsed.reason === 'too-deep') return this.#reply(undefined, tooDeep(this.ctx.services.config.limits.maxDepth).error)
    const frame = parsed.ok ? parsed.value : undefined
    if (typeof frame !== 'object' || frame === null || Array.isArray(frame)) {
      // Spec §4.4: malformed JSON closes the connection, before and after initialization.
      this.#reply(undefined, Errors.badJson())
      this.#close(1008, 'json.malformed')
      return
    }
    if (this.user === null) await this.#initialize(frame as Json)
    else await this.#command(frame as Json)
  }

  async #initialize (frame: Json): Promise<void> {
    if (!checkInitialize.Check(frame)) {
      this.#reply(undefined, Errors.initializeInvalid())
      return
    }
    const { tag, cmd, accessToken } = frame
    if (cmd.toLowerCase() !== 'initialize') return this.#reply(tag, Errors.initializeRequired())
    // An invalid token is a failed credential check of the address (a JWT cannot be guessed,
    // but a flood of them costs signature checks); expired ones are honest clients and do not count.
    const verdict = await this.ctx.services.throttle.guard({ address: this.connection.remoteAddress, protocol: 'really' },
      async () => readReallyToken(this.ctx.services.tokens, accessToken))
    if (this.#closed) return
    if (!verdict.ok) return this.#reply(tag, verdict.reason === 'denied' ? Errors.tokenInvalid() : Errors.initializeThrottled())
    const claims = verdict.value
    if (claims.expires !== null && claims.expires <= Date.now()) return this.#reply(tag, Errors.tokenExpired())
    const username = usernameOf(claims.user)
    if (username !== null) {
      let revoked: boolean
      try {
        revoked = await this.#bounded(this.#isRevoked(username, claims))
      } catch {
        return this.#reply(tag, Errors.internal())
      }
      // A revoked token is no longer valid, whatever its expiry says.
      if (revoked) return this.#reply(tag, Errors.tokenInvalid())
      if (this.#closed) return
    }
    this.user = claims.user
    this.#caller = { user: claims.user, connection: this.connection }
    this.#revocationToken = claims.access?.jti ?? null
    this.#authTimer = endAuthWindow(this.#authTimer)
    // A core user's connection is indexed, so revoking the user reaches it on any node.
    this.ctx.services.connections.authenticated(this.connection, principalOf(username, claims), this)
    if (claims.expires !== null) this.#scheduleExpiry(claims.expires)
    // Spec §4.10 item 1: the seed's handle + user, and the UserInfo flattened as upstream code sent it.
    this.#send({ tag, evt: 'initialized', body: { 'connection-handle': this.connection.id, user: claims.user, ...claims.user } })
  }

  async #command (frame: Json): Promise<void> {
    if (!checkEnvelope.Check(frame)) {
      // Spec §4.4 item 2 / §4.10 item 7: no usable tag or cmd after initialization, connection kept.
      return this.#reply(typeof frame.tag === 'number' ? frame.tag : undefined, Errors.badJson())
    }
    const { tag } = frame
    const cmd = frame.cmd.toLowerCase()
    const caller = this.#caller as Caller
    try {
      switch (cmd) {
        case 'ping': return this.#send({ tag, evt: 'pinged' })
        case 'create': return this.#answer(tag, await this.#bounded(commands.create(this.ctx, caller, frame)))
        case 'get': return this.#answer(tag, await this.#bounded(commands.get(this.ctx, caller, frame)))
        case 'update': return this.#answer(tag, await this.#bounded(commands.update(this.ctx, caller, frame)))
        case 'delete': return this.#answer(tag, await this.#bounded(commands.remove(this.ctx, caller, frame)))
        case 'read': return await this.#read(tag, frame)
        case 'subscribe': return await this.#subscribe(tag, frame)
        case 'unsubscribe': {
          const request = commands.validate(checkUnsubscribe, frame)
          const subscriptions = await this.#bounded(this.#subscriptions.unsubscribe(request.body.subscriptions))
          return this.#answer(tag, { body: { subscriptions } })
        }
        default: return this.#reply(tag, Errors.invalidCommand(cmd))
      }
    } catch (err) {
      if (err instanceof ReallyError) return this.#reply(tag, err.error, err.r)
      // Database down, request timeout, a bug: the request still gets its answer (spec §4.7).
      return this.#reply(tag, Errors.internal(), typeof (frame as Json).r === 'string' ? (frame as Json).r as string : undefined)
    }
  }

  #answer (tag: number, reply: commands.Reply): void {
    if (!this.#closed) this.#send({ tag, ...reply })
  }

  async #read (tag: number, frame: Json): Promise<void> {
    const result = await this.#bounded(commands.read(this.ctx, this.#caller as Caller, frame))
    const opts = frame.cmdOpts as { subscribe?: boolean } | undefined
    if (!opts?.subscribe) return this.#answer(tag, result.reply)
    // `subscribe: true`: the collection (for `created`) and every object read, from the revision read.
    const requests = [
      { r: result.reply.r as string, rev: 0, fields: result.fields },
      ...result.objects.map((o) => ({ r: o.r, rev: o.rev, fields: result.fields })),
    ]
    const { finish } = await this.#bounded(this.#subscriptions.subscribe(requests))
    this.#answer(tag, { ...result.reply, meta: { subscription: result.reply.r } })
    await this.#bounded(finish()).catch(() => {})
  }

  async #subscribe (tag: number, frame: Json): Promise<void> {
    const request = commands.validate(checkSubscribe, frame)
    const { accepted, finish } = await this.#bounded(this.#subscriptions.subscribe(request.body.subscriptions))
    this.#answer(tag, { body: { subscriptions: accepted } })
    // The reply is out: what goes wrong from here is told per subscription by `failed` pushes.
    await this.#bounded(finish()).catch(() => {})
  }

  /** A core access token answers for its own `jti` too; a Really token for its user only. */
  #isRevoked (username: string, claims: ReallyClaims): Promise<boolean> {
    const { tokens } = this.ctx.services
    return claims.access ? tokens.accessVerification.isRevoked(claims.access) : tokens.isUserRevoked(username, claims.issuedAt)
  }

  /** Bounds a request by `requestTimeout` (spec §4.7): late answers become 500. */
  #bounded<T> (work: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new RequestTimeout()), this.ctx.config.requestTimeout)
    })
    return Promise.race([work, timeout]).finally(() => clearTimeout(timer))
  }

  #scheduleExpiry (expires: number): void {
    const wait = expires - Date.now()
    this.#expiryTimer = setTimeout(() => {
      if (expires > Date.now()) this.#scheduleExpiry(expires)
      else this.#tokenExpired()
    }, Math.min(Math.max(wait, 0), MAX_TIMER))
  }

  /** Spec §4.7: `{"evt":"token-expired"}` then close (1008). */
  #tokenExpired (): void {
    if (this.#closed) return
    this.#send({ evt: 'token-expired' })
    this.#close(1008, 'token expired')
  }

  /** An operator closed the connection (connections API): `kicked` with 410 `socket.closed`, then close (1008). */
  closedByOperator (): void {
    if (this.#closed) return
    this.#send({ evt: 'kicked', error: Errors.socketClosed() })
    this.#close(1008, 'closed by an operator')
  }

  /** Spec §4.7: `kicked` (with upstream's 408 `socket.idle`) then close (1000). */
  #kick (): void {
    if (this.#closed) return
    this.#send({ evt: 'kicked', error: Errors.socketIdle() })
    this.#close(1000, 'idle')
  }

  /**
   * `authWindow` ran out before a valid `initialize`: a socket that keeps sending frames is never
   * idle (§4.7), so without this it could stay uninitialized forever. Kicked like an idle socket,
   * with the error an early command gets (§4.4 item 1), and closed as a policy violation.
   */
  #notInitialized (): void {
    if (this.#closed) return
    this.#send({ evt: 'kicked', error: Errors.initializeRequired() })
    this.#close(1008, 'not initialized')
  }

  #close (code: number, reason: string): void {
    this.#closed = true
    clearTimeout(this.#idleTimer)
    clearTimeout(this.#expiryTimer)
    clearTimeout(this.#authTimer)
    this.connection.close(code, reason)
  }
}
