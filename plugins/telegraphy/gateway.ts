import type { TelegraphyConfig } from '../../src/config/schema.js'
import type { HubMessage } from '../../src/core/hub/message.js'
import { randomId } from '../../src/core/ids.js'
import type { CoreLogger, Services } from '../../src/core/services.js'
import { Adoption } from './adoption.js'
import { encodeGrant, type Narrowing } from './auth-grant.js'
import { encodeEventPayload, eventTimestamp, eventTopic } from './event-wire.js'
import { HeldIndex } from './held-index.js'
import { Liveness, liveRecordTtl } from './liveness.js'
import type { Control, DetachedSession, NodeContext } from './node-context.js'
import { EventRegistry } from './registry.js'
import { Rescue } from './rescue.js'
import type { StoreFailed } from './store-failed.js'

/** Purpose of Telegraphy auth tokens in `services.tokens` one-time tokens (§3.7). */
export const AUTH_TOKEN_PURPOSE = 'telegraphy'

/** Control topic of one node: RECONNECT hand-over and adoption acknowledgements. */
const controlTopic = (nodeId: string) => `telegraphy-node:${nodeId}`

export interface EmitInput {
  meta?: { event_type?: string, verbose_name?: string, timestamp?: string, [key: string]: unknown } | null
  data: unknown
}

/** What the plugin decorates the app with (§3.7, §3.8 in-process API). */
export interface TelegraphyApi {
  /**
   * A one-time auth token for `username` (anonymous when omitted), valid `authTokenTtl`; with a
   * narrowed access token's `roles`/`channels` claims, the session it opens is narrowed alike.
   */
  issueAuthToken (username?: string, narrowing?: Narrowing): Promise<string>
  /** Emits an event to its subscribers on every node; false when dropped as unregistered. */
  emit (name: string, input: EmitInput): Promise<boolean>
  registerEvent (name: string): Promise<void>
}

/**
 * Node-wide Telegraphy state: the event registry, the emit path, one-time auth tokens, and
 * the hand-over of dropped sessions between nodes (claims here; node liveness in liveness.ts,
 * adoption at shutdown in adoption.ts, of a dead node's sessions in rescue.ts). Per-connection
 * state lives in Session, a dropped session's in KeptSession. Every process is a new node (a
 * random id): a restarted one finds its previous incarnation's sessions as a survivor would.
 */
export class Gateway implements TelegraphyApi, NodeContext {
  readonly nodeId = randomId(9)
  readonly registry: EventRegistry
  /** True when other nodes may share the store and the broker (`storage.redis`). */
  readonly shared: boolean
  readonly liveness: Liveness
  readonly held: HeldIndex
  readonly adoption: Adoption
  readonly rescue: Rescue
  /** Set when shutdown begins: a stopping node adopts nothing. */
  stopping = false
  /**
   * Counts the role changes this node has heard of (any user's). A SUBSCRIBE or RECONNECT that
   * was decided before a change and finishes after it asks again: the change's re-check may have
   * run while it was not yet a subscription to re-check.
   */
  accessEpoch = 0
  readonly #detached = new Map<string, DetachedSession>()
  /** RECONNECTs of this node waiting for a keeper's *handed*, by `<keeper> <token>`. */
  readonly #waiting = new Map<string, () => void>()
  #seq = 0
  readonly #control = { deliver: (message: HubMessage) => this.#onControl(message.data as Control) }

  subscriptionNotStored (err: Error, connection: string): void {
    this.log.warn({ err: err.message, connection }, 'telegraphy: subscription change not stored')
  }

  constructor (readonly services: Services, readonly config: TelegraphyConfig, readonly log: CoreLogger) {
    if (this.config.nodeHeartbeat <= 0) throw new Error('protocols.telegraphy.nodeHeartbeat must be more than 0')
    this.registry = new EventRegistry(services.store, this.config.events)
    this.shared = services.config.storage.redis !== null
    const { nodeHeartbeat: heartbeat, reconnectWindow } = this.config
    const storeFailed: StoreFailed = (err, msg) => services.health.redis.report(err, msg)
    this.held = new HeldIndex(services.store, { nodeId: this.nodeId, ttl: liveRecordTtl(heartbeat, reconnectWindow), shared: this.shared }, storeFailed)
    this.liveness = new Liveness(services.store, { nodeId: this.nodeId, heartbeat, reconnectWindow, shared: this.shared, held: this.held }, storeFailed)
    this.adoption = new Adoption(this)
    this.rescue = new Rescue(this, this.adoption)
  }

  async start (): Promise<void> {
    await this.services.hub.subscribe(controlTopic(this.nodeId), this.#control)
    await this.adoption.start()
    await this.liveness.start()
    // After the first beat: listed only once it beats, so that nobody takes it for dead.
    await this.rescue.start()
  }

  /**
   * On shutdown (after the sockets were closed, so every session is a dropped one): wake waiting
   * RECONNECTs, offer the dropped sessions for adoption, let go of the rest, stop beating.
   * Sessions nobody adopted stay listed in the held index for the next node to take over (a
   * single-node restart); when all were adopted the node is forgotten.
   */
  async stop (): Promise<void> {
    this.stopping = true
    this.rescue.stop()
    this.held.freeze()
    for (const done of this.#waiting.values()) done()
    const adopted = await this.adoption.offer(Array.from(this.#detached.values()))
    // Not adopted: events already kept reach the store before it closes; a RECONNECT elsewhere drains them.
    await Promise.all(Array.from(this.#detached.values(), (session) => session.handOver()))
    if (adopted) await Promise.all([this.held.clear(), this.rescue.forget()])
    await this.liveness.stop()
  }

  async issueAuthToken (username?: string, narrowing?: Narrowing): Promise<string> {
    return this.services.tokens.issueOneTime(AUTH_TOKEN_PURPOSE, encodeGrant(username, narrowing), this.config.authTokenTtl)
  }

  registerEvent (name: string): Promise<void> {
    return this.registry.register(name)
  }

  /**
   * The emit path (REST and in-process). Registered names publish in the same tick, so the
   * events one caller emits in sequence keep their order; the id is `<node>:<seq>`.
   */
  async emit (name: string, input: EmitInput): Promise<boolean> {
    if (!this.registry.knows(name) && !(await this.registry.isRegistered(name))) {
      if (!this.config.sendUnregistered) return false
      await this.registry.register(name)
    }
    const given = input.meta ?? {}
    const meta = {
      ...given,
      event_type: given.event_type ?? 'custom',
      verbose_name: given.verbose_name ?? name,
      timestamp: given.timestamp ?? eventTimestamp(),
    }
    await this.services.hub.publishRaw(eventTopic(name), encodeEventPayload(`${this.nodeId}:${++this.#seq}`, name, meta, input.data))
    return true
  }

  /** Remembers a dropped session kept on this node so a RECONNECT anywhere can claim it. */
  keepDetached (token: string, session: DetachedSession): void {
    this.#detached.set(token, session)
  }

  forgetDetached (token: string, session: DetachedSession): void {
    if (this.#detached.get(token) === session) this.#detached.delete(token)
  }

  /**
   * Asks the nodes that may keep a dropped session's events (its `keepers`) to stop and resolves
   * when each says every event it kept is in the store (or after `handoverTimeout`, e.g. that
   * node died).
   */
  async claim (token: string, keepers: string[]): Promise<void> {
    await Promise.all(keepers.map((keeper) => this.#claimFrom(token, keeper)))
  }

  #claimFrom (token: string, keeper: string): Promise<void> {
    const key = `${keeper} ${token}`
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer)
        if (this.#waiting.get(key) === done) this.#waiting.delete(key)
        resolve()
      }
      const timer = setTimeout(done, this.config.handoverTimeout)
      this.#waiting.set(key, done)
      this.tell(keeper, { type: 'claim', session: token, from: this.nodeId })
    })
  }

  /** Sends a control message to one node; a lost one is covered by the waiting side's timeout. */
  tell (nodeId: string, control: Control): void {
    this.services.hub.publish(controlTopic(nodeId), control).catch(() => {})
  }

  #onControl (control: Control): void {
    if (control.type === 'handed') {
      this.#waiting.get(`${control.by} ${control.session}`)?.()
    } else if (control.type === 'adopted') {
      this.adoption.acknowledged(control.sessions)
    } else {
      const session = this.#detached.get(control.session)
      const handed = session ? session.handOver() : Promise.resolve()
      void handed.then(() => this.tell(control.from, { type: 'handed', session: control.session, by: this.nodeId }))
    }
  }
}
