import { createHash } from 'node:crypto'
import type { EphemeralStore } from '../../src/core/state/store.js'
import type { SubscriptionView } from './messages.js'

// A session's subscriptions live in the store as one hash per session, one field per
// subscription (issue 14, item 3): a SUBSCRIBE writes its own field, an UNSUBSCRIBE deletes it,
// and nothing rewrites the whole list. The hash lives as long as the session's record (live or
// dropped, record.ts) and is read with it by whoever resumes the session (§3.4 "any node").
// A single node (no shared store) has no live record and writes the hash only when the session
// drops, all fields at once: nobody could read it earlier (session.ts, issue 21).

/** The subscriptions hash of a session. */
export const subscriptionsKey = (token: string) => `telegraphy:subs:${token}`

/**
 * The field of a subscription: its identity (event name + filters compared by value, as
 * subscriptions.ts does), hashed so that a large filter does not make a large field name.
 */
export function subscriptionField (eventName: string, filters: Record<string, unknown> | null): string {
  return createHash('sha256').update(canonicalJson([eventName, filters])).digest('base64url')
}

/** JSON with object keys sorted, so equal filters give equal text whatever their key order. */
function canonicalJson (value: unknown): string {
  // Recursion is bounded: client values are refused past `limits.maxDepth` before they get here.
  if (typeof value !== 'object' || value === null) return JSON.stringify(value) ?? 'null'
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  const keys = Object.keys(value).sort()
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`
}

/** A stored subscription: its place in the session's order (hash fields have none) and its view. */
export interface StoredSubscription {
  order: number
  view: SubscriptionView
}

export function encodeStored (order: number, view: SubscriptionView): string {
  return JSON.stringify({ order, view } satisfies StoredSubscription)
}

/** The session's subscriptions in the order they were first made. */
export async function loadSubscriptions (store: EphemeralStore, token: string): Promise<StoredSubscription[]> {
  const hash = await store.hashGetAll(subscriptionsKey(token))
  return Array.from(hash.values(), (text) => JSON.parse(text) as StoredSubscription).sort((a, b) => a.order - b.order)
}
