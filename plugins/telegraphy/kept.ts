import { tokenIdOf } from '../../src/core/access/principal.js'
import type { Principal } from '../../src/core/connection.js'
import type { Subscriber } from '../../src/core/hub/hub.js'
import type { HubMessage } from '../../src/core/hub/message.js'
import type { Revocable } from '../../src/core/revocation/revocable.js'
import type { DetachedSession, NodeContext } from './node-context.js'
import { missedKey, sessionKey, type SessionRecord } from './record.js'
import { subscriptionsKey } from './stored-subscriptions.js'
import { Subscriptions } from './subscriptions.js'

const noop = () => {}

/**
 * A dropped session kept for its reconnect window (§3.4, §3.6): every matching event is appended
 * to the store list `missedKey(token)` until a RECONNECT claims the session or the window ends.
 * The same object serves a session dropped on this node and one adopted from a stopping node.
 */
export class KeptSession implements Subscriber, DetachedSession, Revocable {
  #principal: Principal | null = null
  #subs: Subscriptions | null = null
  #released = false
  #timer: NodeJS.Timeout
  /** Last store write of a kept event (a hand-over waits for it). */
  #lastPush: Promise<unknown> | null = null

  /**
   * Registered with the gateway at once, so a claim that comes before the subscriptions are in
   * place still finds it. `holder` is the node that kept the session first (the offer names it).
   */
  constructor (private readonly gateway: NodeContext, readonly token: string, readonly holder: string) {
    gateway.keepDetached(token, this)
    gateway.held.add(token)
    const { reconnectWindow, handoverTimeout } = gateway.config
    // Past the window by the hand-over time, so a RECONNECT at the window's end still finds it.
    // An adopted session is kept a whole window from its adoption: no clocks are compared, and
    // nobody claims it once its record has expired.
    this.#timer = setTimeout(() => this.release(), reconnectWindow + handoverTimeout)
    // A kept session must not keep a stopping process alive.
    this.#timer.unref()
  }

  /**
   * A session dropped on this node: subscribes to its topics before the connection leaves them,
   * in the same tick, so no event reaches both or neither and no broker channel drops between.
   */
  takeOver (principal: Principal, subs: Subscriptions): void {
    this.#hold(principal)
    this.#subs = subs
    const { hub } = this.gateway.services
    for (const topic of subs.topics()) hub.subscribe(topic, this).catch(noop)
  }

  /** An adopted session: subscribes to its topics; resolves once events reach it. */
  async adopt (record: SessionRecord): Promise<void> {
    if (this.#released) return
    this.#hold(record.principal)
    const subs = this.#subs = Subscriptions.restore(record.subscriptions)
    const { hub } = this.gateway.services
    await Promise.all(Array.from(subs.topics(), (topic) => hub.subscribe(topic, this)))
  }

  /** A user's kept session is revoked with the user's connections (core connection registry). */
  #hold (principal: Principal): void {
    this.#principal = principal
    if (principal.kind === 'user') this.gateway.services.connections.keepForUser(principal.username, this)
  }

  deliver (message: HubMessage): void {
    if (this.#subs?.matches(message)) this.keep(message.raw)
  }

  keep (payload: string): void {
    const { config, services } = this.gateway
    this.#lastPush = services.store.push(missedKey(this.token), payload, config.reconnectWindow + config.handoverTimeout)
      .catch((err: Error) => this.gateway.log.warn({ err: err.message }, 'telegraphy: missed event not kept'))
  }

  /** Stops keeping events; resolves once every event kept so far is in the store. */
  async handOver (): Promise<void> {
    this.release()
    await this.#lastPush
  }

  /** As the session's (session.ts): a revoked access token ends its kept session too. */
  get revocationToken (): string | null {
    return tokenIdOf(this.#principal)
  }

  /** The core registry's revocation policy: the user is gone, so is its session — nothing more is kept or resumable. */
  revoked (): void {
    this.release()
    const { store } = this.gateway.services
    store.delete(sessionKey(this.token)).catch(noop)
    store.delete(subscriptionsKey(this.token)).catch(noop)
  }

  release (): void {
    if (this.#released) return
    this.#released = true
    clearTimeout(this.#timer)
    this.gateway.forgetDetached(this.token, this)
    this.gateway.held.remove(this.token)
    if (this.#principal?.kind === 'user') this.gateway.services.connections.releaseForUser(this.#principal.username, this)
    const subs = this.#subs
    this.#subs = null
    if (subs) for (const topic of subs.topics()) this.gateway.services.hub.unsubscribe(topic, this).catch(noop)
  }
}
