import type { Connection } from '../../src/core/connection.js'
import type { ConnectionTopics } from '../../src/core/hub/connection-topics.js'
import type { Hub, Subscriber } from '../../src/core/hub/hub.js'
import type { HubMessage } from '../../src/core/hub/message.js'
import { checks, type Delivery } from './messages.js'
import { deliverTo } from './registry.js'
import type { DasSession } from './session.js'

// Deliveries cross the nodes on the core hub, as every protocol's traffic does. Upstream's
// realtime server emits to room `<sid>`, or to everyone in /das (docs/protocols/das.md §5.7); here an
// authenticated socket listens on three topics, its rooms: every authenticated socket, its
// user's sockets, itself. A delivery goes on the narrowest topic that holds every socket it
// targets, so a node hears only what its sockets need, and a socket gets each delivery once
// (it is on one topic, which the hub hands to each subscribed node once).

/** Every authenticated socket (upstream's `all_clients` room). */
export const ALL_TOPIC = 'das:all'
export const userTopic = (username: string): string => `das:user:${username}`
export const socketTopic = (sid: string): string => `das:socket:${sid}`

export function topicOf (delivery: Delivery): string {
  if (delivery.kind === 'emit' && delivery.sid !== undefined) return socketTopic(delivery.sid)
  if (delivery.kind === 'emit' && delivery.username !== undefined) return userTopic(delivery.username)
  return ALL_TOPIC
}

/** Hands a delivery to every node whose sockets it targets (this one at once). */
export function publishDelivery (hub: Hub, delivery: Delivery): Promise<void> {
  return hub.publish(topicOf(delivery), delivery)
}

// One check per message, however many local sockets it reaches (null: malformed).
const checked = new WeakMap<HubMessage, Delivery | null>()

function deliveryOf (message: HubMessage, onInvalid: (data: unknown) => void): Delivery | null {
  let delivery = checked.get(message)
  if (delivery === undefined) {
    const data = message.data
    delivery = checks.delivery.Check(data) ? data : null
    // Deliveries come from our own nodes; a malformed one (mixed versions) is reported, not sent.
    if (delivery === null) onInvalid(data)
    checked.set(message, delivery)
  }
  return delivery
}

export interface FeedContext {
  /** `services.subscriptions`: the connection leaves every topic when it ends (core registry). */
  topics: ConnectionTopics
  onInvalid (data: unknown): void
  /** Leaving a previous user's topic failed (its broker channel may stay). */
  onError (err: unknown): void
}

/** One socket's subscription to the deliveries addressed to it. */
export class DeliveryFeed implements Subscriber {
  #username: string | null = null

  constructor (private readonly session: DasSession, private readonly connection: Connection, private readonly ctx: FeedContext) {}

  /**
   * Joins the socket's topics as `username`, leaving the previous user's when it authenticates
   * again as someone else. Resolves once deliveries published on any node reach it.
   */
  listen (username: string): Promise<void> {
    const { topics } = this.ctx
    const previous = this.#username
    this.#username = username
    const live = [ALL_TOPIC, socketTopic(this.session.id), userTopic(username)].map((topic) => topics.join(this.connection, topic, this))
    if (previous !== null && previous !== username) topics.leave(this.connection, userTopic(previous), this).catch(this.ctx.onError)
    return Promise.all(live).then(() => {})
  }

  deliver (message: HubMessage): void {
    const delivery = deliveryOf(message, this.ctx.onInvalid)
    if (delivery) deliverTo(this.session, delivery)
  }
}
