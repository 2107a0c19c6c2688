import type { HubMessage } from '../../src/core/hub/message.js'
import { deepEqual, eventDataOf, eventTopic, filtersMatch } from './event-wire.js'
import type { Filters, SubscriptionView } from './messages.js'

interface Subscription {
  readonly eventName: string
  /** null matches every event of the name. */
  readonly filters: Record<string, unknown> | null
  permanent: boolean
  lazy: boolean
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

  /** Adds or updates; `first` is true when the topic had no subscription before. */
  add (view: { event_name: string, filters?: Filters, permanent?: boolean, lazy?: boolean }): { topic: string, first: boolean } {
    const topic = eventTopic(view.event_name)
    const filters = normalise(view.filters)
    let list = this.#byTopic.get(topic)
    const first = list === undefined
    if (!list) {
      list = []
      this.#byTopic.set(topic, list)
    }
    const existing = list.find((s) => deepEqual(s.filters, filters))
    if (existing) {
      existing.permanent = view.permanent ?? false
      existing.lazy = view.lazy ?? false
    } else {
      list.push({ eventName: view.event_name, filters, permanent: view.permanent ?? false, lazy: view.lazy ?? false })
    }
    return { topic, first }
  }

  /** Removes the subscription with this name and filters; `last` is true when the topic has none left. */
  remove (eventName: string, filters: Filters | undefined): { removed: boolean, topic: string, last: boolean } {
    const topic = eventTopic(eventName)
    const wanted = normalise(filters)
    const list = this.#byTopic.get(topic)
    const index = list ? list.findIndex((s) => deepEqual(s.filters, wanted)) : -1
    if (!list || index < 0) return { removed: false, topic, last: false }
    list.splice(index, 1)
    if (list.length > 0) return { removed: true, topic, last: false }
    this.#byTopic.delete(topic)
    return { removed: true, topic, last: true }
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
      for (const s of list) out.push({ event_name: s.eventName, filters: s.filters, permanent: s.permanent, lazy: s.lazy })
    }
    return out
  }
}
