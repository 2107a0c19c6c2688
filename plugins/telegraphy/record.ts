import type { Principal } from '../../src/core/connection.js'
import type { EphemeralStore } from '../../src/core/state/store.js'
import { loadSubscriptions, type StoredSubscription } from './stored-subscriptions.js'

/**
 * A session as the shared store knows it, so that a RECONNECT on any node can resume it (§3.4,
 * §3.6): its head under `liveKey` while it is connected, under `sessionKey` once its socket
 * dropped; its subscriptions in their own hash (stored-subscriptions.ts), written one by one.
 * The head holds no client data, only what the server decided.
 */
export interface SessionHead {
  principal: Principal
  /** Client address at CONNECT; a RECONNECT must come from the same one (§3.9.7). */
  address: string
  /**
   * Live: the node holding the connection. Dropped: the node that kept its events first; the
   * nodes that adopted it since are found from there (adoption.ts).
   */
  holder: string
}

export interface SessionRecord extends SessionHead {
  /** In the order they were first made. */
  subscriptions: StoredSubscription[]
}

/** A dropped session (ttl `reconnectWindow`), taken by the RECONNECT that resumes it. */
export const sessionKey = (token: string) => `telegraphy:session:${token}`
/** Events a dropped session missed, in arrival order (`store.push`), drained by the RECONNECT. */
export const missedKey = (token: string) => `telegraphy:missed:${token}`
/** A connected session (liveness.ts): lets a survivor resume it when its holder dies. */
export const liveKey = (token: string) => `telegraphy:live:${token}`
/** Who adopted a dropped session from node `from` when `from` stopped (adoption.ts). */
export const adoptKey = (token: string, from: string) => `telegraphy:adopt:${token}:${from}`
/** A node's heartbeat: the time of its last beat (liveness.ts). */
export const nodeKey = (nodeId: string) => `telegraphy:node:${nodeId}`
/** Every node that may have left sessions behind: a hash, one field per node id (rescue.ts). */
export const NODES_KEY = 'telegraphy:nodes'
/** The sessions a node holds or keeps: a hash, one field per session token (held-index.ts). */
export const heldKey = (nodeId: string) => `telegraphy:held:${nodeId}`
/** Which survivor takes over the sessions of a dead node (rescue.ts). */
export const rescueKey = (nodeId: string) => `telegraphy:rescue:${nodeId}`

/** The head at `key` (null when gone), without the subscriptions. */
export async function readHead (store: EphemeralStore, key: string): Promise<SessionHead | null> {
  const raw = await store.get(key)
  return raw === null ? null : JSON.parse(raw) as SessionHead
}

/** The whole session of `token` whose head is `head` (read or taken from the store). */
export async function withSubscriptions (store: EphemeralStore, token: string, head: SessionHead): Promise<SessionRecord> {
  return { ...head, subscriptions: await loadSubscriptions(store, token) }
}
