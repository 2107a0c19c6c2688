import type { Principal } from '../../src/core/connection.js'
import type { SubscriptionView } from './messages.js'

/** What a dropped session leaves in the store for a RECONNECT on any node (§3.4, §3.6). */
export interface SessionRecord {
  principal: Principal
  /** Client address at CONNECT; a RECONNECT must come from the same one (§3.9.7). */
  address: string
  /** Node keeping the session's events until it is claimed. */
  holder: string
  subscriptions: SubscriptionView[]
}

/** A dropped session (ttl `reconnectWindow`), taken by the RECONNECT that resumes it. */
export const sessionKey = (token: string) => `telegraphy:session:${token}`
/** Events a dropped session missed, in arrival order (`store.push`), drained by the RECONNECT. */
export const missedKey = (token: string) => `telegraphy:missed:${token}`
