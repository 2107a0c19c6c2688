import type { HubMessage } from '../../src/core/hub/message.js'
import { deepEqual, eventDataOf, eventTopic, filtersMatch, isEventTopic } from './event-wire.js'
import type { Filters, SubscriptionView } from './messages.js'
import { encodeStored, subscriptionField, type StoredSubscription } from './stored-subscriptions.js'

/**
 * Neither its hub topic nor its field in the stored hash is kept: both follow from the event
 * name (and filters), and every idle connection would carry the two strings (issue 21).
 */
interface Subscription {
  readonly eventName: string
  /** null matches every event of the name. */
  readonly filters: Record<string, unknown> | null
  /** `permanent` and `lazy` in one field (PERMANENT, LAZY): 8 bytes less per subscription. */
  flags: number
  /** When it was first made, among the session's subscriptions (the stored hash keeps no order). */
  readonly order: number
}

const PERMANENT = 1
const LAZY = 2

function flagsOf (view: { permanent?: boolean, lazy?: boolean }): number {
  return (view.permanent === true ? PERMANENT : 0) | (view.lazy === true ? LAZY : 0)
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
 *
 * Most sessions hold one subscription: it is kept in a field, and a Map of lists only comes
 * with the second (and goes once one is left). The Map's table and a list cost an idle
 * connection about 400 bytes (bench, idle memory per connection, issue 21).
 */
export class Subscriptions {
  // TypeScript-private, not #private: #private methods give every instance a brand slot
  // (8 bytes per session).
  /** The only subscription, when there is exactly one. */
  private one: Subscription | undefined
  /** Two or more, by topic in the order the topics were first subscribed. */
  private byTopic: Map<string, Subscription[]> | undefined
  /** Order number of the next new subscription. */
  private next = 0

  /** A resumed session's subscriptions, each with the order it was stored with. */
  static restore (stored: StoredSubscription[]): Subscriptions {
    const subs = new Subscriptions()
    for (const { order, view } of stored) subs.add(view, order)
    return subs
  }

  /** How many subscriptions (name + filters pairs) there are. */
  get size (): number {
    if (this.byTopic === undefined) return this.one === undefined ? 0 : 1
    let count = 0
    for (const list of this.byTopic.values()) count += list.length
    return count
  }

  /** True when a subscription with this name and filters exists (subscribing again updates it). */
  has (eventName: string, filters: Filters | undefined): boolean {
    return this.find(eventName, normalise(filters)) !== undefined
  }

  /**
   * Adds or updates; `first` is true when the topic had no subscription before; `value` is the
   * subscription as the stored hash keeps it at `field`.
   */
  add (view: { event_name: string, filters?: Filters, permanent?: boolean, lazy?: boolean }, order = this.next): Change & { first: boolean, value: string } {
    const topic = eventTopic(view.event_name)
    const filters = normalise(view.filters)
    let subscription = this.find(view.event_name, filters)
    const first = subscription === undefined && this.listOf(view.event_name) === undefined
    if (subscription) {
      subscription.flags = flagsOf(view)
    } else {
      subscription = { eventName: view.event_name, filters, flags: flagsOf(view), order }
      this.next = Math.max(this.next, order + 1)
      this.insert(topic, subscription)
    }
    return { topic, first, field: fieldOf(subscription), value: storedValue(subscription) }
  }

  /** Removes the subscription with this name and filters; `last` is true when the topic has none left. */
  remove (eventName: string, filters: Filters | undefined): (Change & { last: boolean }) | null {
    const wanted = normalise(filters)
    const one = this.one
    if (one !== undefined) {
      if (one.eventName !== eventName || !deepEqual(one.filters, wanted)) return null
      this.one = undefined
      return { topic: eventTopic(eventName), field: fieldOf(one), last: true }
    }
    const topic = eventTopic(eventName)
    const list = this.byTopic?.get(topic)
    const index = list ? list.findIndex((s) => deepEqual(s.filters, wanted)) : -1
    if (!list || index < 0) return null
    const [removed] = list.splice(index, 1)
    if (list.length === 0) this.byTopic!.delete(topic)
    this.settle()
    return { topic, field: fieldOf(removed), last: list.length === 0 }
  }

  /**
   * Removes every subscription to `eventName`, whatever its filters (access is decided per event
   * name); null when there was none. Their topic has none left.
   */
  removeEvent (eventName: string): { topic: string, fields: string[] } | null {
    const list = this.listOf(eventName)
    if (list === undefined) return null
    const topic = eventTopic(eventName)
    if (this.byTopic === undefined) this.one = undefined
    else this.byTopic.delete(topic)
    this.settle()
    return { topic, fields: list.map(fieldOf) }
  }

  /** The event names subscribed to, each once. */
  eventNames (): string[] {
    if (this.byTopic === undefined) return this.one === undefined ? [] : [this.one.eventName]
    return Array.from(this.byTopic.values(), (list) => list[0].eventName)
  }

  /** True when some subscription of the message's topic matches its data (the event goes out once). */
  matches (message: HubMessage): boolean {
    const one = this.one
    if (one !== undefined) {
      return isEventTopic(message.topic, one.eventName) && (one.filters === null || filtersMatch(one.filters, eventDataOf(message)))
    }
    const list = this.byTopic?.get(message.topic)
    if (!list) return false
    for (let i = 0; i < list.length; i++) {
      const filters = list[i].filters
      if (filters === null || filtersMatch(filters, eventDataOf(message))) return true
    }
    return false
  }

  topics (): string[] {
    if (this.byTopic === undefined) return this.one === undefined ? [] : [eventTopic(this.one.eventName)]
    return Array.from(this.byTopic.keys())
  }

  views (): SubscriptionView[] {
    return Array.from(this.all(), viewOf)
  }

  /** Every subscription as the stored hash keeps it: [field, value]. */
  stored (): Array<[string, string]> {
    return Array.from(this.all(), (s) => [fieldOf(s), storedValue(s)])
  }

  private * all (): IterableIterator<Subscription> {
    if (this.one !== undefined) yield this.one
    if (this.byTopic !== undefined) for (const list of this.byTopic.values()) yield * list
  }

  /** The subscriptions to `eventName` (a new list for the single one), or undefined when none. */
  private listOf (eventName: string): Subscription[] | undefined {
    if (this.one !== undefined) return this.one.eventName === eventName ? [this.one] : undefined
    return this.byTopic?.get(eventTopic(eventName))
  }

  private find (eventName: string, filters: Record<string, unknown> | null): Subscription | undefined {
    return this.listOf(eventName)?.find((s) => deepEqual(s.filters, filters))
  }

  private insert (topic: string, subscription: Subscription): void {
    if (this.byTopic === undefined) {
      if (this.one === undefined) {
        this.one = subscription
        return
      }
      // The first one's topic first: the Map keeps the order topics were first subscribed in.
      this.byTopic = new Map([[eventTopic(this.one.eventName), [this.one]]])
      this.one = undefined
    }
    const list = this.byTopic.get(topic)
    if (list) list.push(subscription)
    else this.byTopic.set(topic, [subscription])
  }

  /** Back to a field (or nothing) once one subscription (or none) is left. */
  private settle (): void {
    const byTopic = this.byTopic
    if (byTopic === undefined || byTopic.size > 1) return
    const [list] = byTopic.values()
    if (list !== undefined && list.length > 1) return
    this.one = list?.[0]
    this.byTopic = undefined
  }
}

function fieldOf (s: Subscription): string {
  return subscriptionField(s.eventName, s.filters)
}

function storedValue (s: Subscription): string {
  return encodeStored(s.order, viewOf(s))
}

function viewOf (s: Subscription): SubscriptionView {
  return { event_name: s.eventName, filters: s.filters, permanent: (s.flags & PERMANENT) !== 0, lazy: (s.flags & LAZY) !== 0 }
}
