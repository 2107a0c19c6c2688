import type { HubMessage } from '../../src/core/hub/message.js'
import { deepEqual, eventDataOf, eventTopic, filtersMatch } from './event-wire.js'
import type { Filters, SubscriptionView } from './messages.js'
import { encodeStored, subscriptionField, type StoredSubscription } from './stored-subscriptions.js'

interface Subscription {
  readonly eventName: string
  /** null matches every event of the name. */
  readonly filters: Record<string, unknown> | null
  permanent: boolean
  lazy: boolean
  /** Its field in the session's stored hash (stored-subscriptions.ts). */
  readonly field: string
  /** When it was first made, among the session's subscriptions (the stored hash keeps no order). */
  readonly order: number
}

/** Where a change lands: the hub topic, and the subscription's field in the stored hash. */
export interface Change {
  topic: string
  field: string
}

/** `null`, missing and `{}` all mean "no filter". */
function normalise (filters: Filters | undefined): Record<string, unknown> | null {
  if (!filters) return null
  for (const _key in filters) return filters
  return null
}

/**
 * One session's subscriptions, by hub topic. A subscription is identified by its event name
 * and its filters (compared by value); subscribing again with the same pair updates its flags.
 */
export class Subscriptions {
  readonly #byTopic = new Map<string, Subscription[]>()
  #count = 0
  /** Order number of the next new subscription. */
  #next = 0

  /** A resumed session's subscriptions, each with the order it was stored with. */
  static restore (stored: StoredSubscription[]): Subscriptions {
    const subs = new Subscriptions()
    for (const { order, view } of stored) subs.add(view, order)
    return subs
  }

  /** How many subscriptions (name + filters pairs) there are. */
  get size (): number {
    return this.#count
  }

  /** True when a subscription with this name and filters exists (subscribing again updates it). */
  has (eventName: string, filters: Filters | undefined): boolean {
    const wanted = normalise(filters)
    return this.#byTopic.get(eventTopic(eventName))?.some((s) => deepEqual(s.filters, wanted)) ?? false
  }

  /**
   * Adds or updates; `first` is true when the topic had no subscription before; `value` is the
   * subscription as the stored hash keeps it at `field`.
   */
  add (view: { event_name: string, filters?: Filters, permanent?: boolean, lazy?: boolean }, order = this.#next): Change & { first: boolean, value: string } {
    const topic = eventTopic(view.event_name)
    const filters = normalise(view.filters)
    let list = this.#byTopic.get(topic)
    const first = list === undefined
    if (!list) {
      list = []
      this.#byTopic.set(topic, list)
    }
    let subscription = list.find((s) => deepEqual(s.filters, filters))
    if (subscription) {
      subscription.permanent = view.permanent ?? false
      subscription.lazy = view.lazy ?? false
    } else {
      subscription = {
        eventName: view.event_name, filters, permanent: view.permanent ?? false, lazy: view.lazy ?? false,
        field: subscriptionField(view.event_name, filters), order,
      }
      this.#next = Math.max(this.#next, order + 1)
      list.push(subscription)
      this.#count++
    }
    return { topic, first, field: subscription.field, value: encodeStored(subscription.order, viewOf(subscription)) }
  }

  /** Removes the subscription with this name and filters; `last` is true when the topic has none left. */
  remove (eventName: string, filters: Filters | undefined): (Change & { last: boolean }) | null {
    const topic = eventTopic(eventName)
    const wanted = normalise(filters)
    const list = this.#byTopic.get(topic)
    const index = list ? list.findIndex((s) => deepEqual(s.filters, wanted)) : -1
    if (!list || index < 0) return null
    const [removed] = list.splice(index, 1)
    this.#count--
    if (list.length === 0) this.#byTopic.delete(topic)
    return { topic, field: removed.field, last: list.length === 0 }
  }

  /**
   * Removes every subscription to `eventName`, whatever its filters (access is decided per event
   * name); null when there was none. Their topic has none left.
   */
  removeEvent (eventName: string): { topic: string, fields: string[] } | null {
    const topic = eventTopic(eventName)
    const list = this.#byTopic.get(topic)
    if (!list) return null
    this.#byTopic.delete(topic)
    this.#count -= list.length
    return { topic, fields: list.map((s) => s.field) }
  }

  /** The event names subscribed to, each once. */
  eventNames (): string[] {
    return Array.from(this.#byTopic.values(), (list) => list[0].eventName)
  }

  /** True when some subscription of the message's topic matches its data (the event goes out once). */
  matches (message: HubMessage): boolean {
    const list = this.#byTopic.get(message.topic)
    if (!list) return false
    for (let i = 0; i < list.length; i++) {
      const filters = list[i].filters
      if (filters === null || filtersMatch(filters, eventDataOf(message))) return true
    }
    return false
  }

  topics (): IterableIterator<string> {
    return this.#byTopic.keys()
  }

  views (): SubscriptionView[] {
    const out: SubscriptionView[] = []
    for (const list of this.#byTopic.values()) {
      for (const s of list) out.push(viewOf(s))
    }
    return out
  }
}

function viewOf (s: Subscription): SubscriptionView {
  return { event_name: s.eventName, filters: s.filters, permanent: s.permanent, lazy: s.lazy }
}
