import type { LimitsConfig } from '../../src/config/schema.js'
import { findReservedKey, nameProblem } from '../../src/core/limits/index.js'
import type { Filters } from './messages.js'
import type { Subscriptions } from './subscriptions.js'

/**
 * Why a SUBSCRIBE/UNSUBSCRIBE's event name or filters are refused (issue 14 input limits; the
 * reply is INVALID_MESSAGE, §3.5), or null. Filters are stored with the session (they come back
 * in the RECONNECT reply, §3.4), so reserved keys are refused in them.
 */
export function topicProblem (eventName: string, filters: Filters | undefined, limits: LimitsConfig): string | null {
  const badName = nameProblem(eventName)
  if (badName !== null) return `event_name is ${badName}`
  if (!filters) return null
  if (Object.keys(filters).length > limits.filtersPerSubscription) return `at most ${limits.filtersPerSubscription} filters per subscription`
  const reserved = findReservedKey(filters)
  if (reserved !== null) return `filters may not use the key ${JSON.stringify(reserved)}`
  return null
}

/** Why one more subscription is refused: the connection has `subscriptionsPerConnection` already. */
export function subscriptionsFull (subs: Subscriptions | null, eventName: string, filters: Filters | undefined, limits: LimitsConfig): string | null {
  if (subs === null || subs.size < limits.subscriptionsPerConnection || subs.has(eventName, filters)) return null
  return `at most ${limits.subscriptionsPerConnection} subscriptions per connection`
}
