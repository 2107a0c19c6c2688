import type { Gateway } from './gateway.js'
import { liveKey, readHead, sessionKey, withSubscriptions, type SessionHead, type SessionRecord } from './record.js'

export interface Resumable {
  record: SessionRecord
  /** Nodes to claim the session's kept events from before draining them. */
  keepers: string[]
}

/**
 * Finds and takes the session a RECONNECT asks for (§3.4), or null for INVALID_SESSION. Of
 * concurrent RECONNECTs with one token, on any nodes, exactly one takes it (`store.take`).
 *
 * - A dropped session (`sessionKey`): resumed with the events its keepers kept.
 * - A connected one (`liveKey`) is refused while its holder is alive (decision 7). If the holder
 *   died (crash: no drop was ever written), it is resumed with its subscriptions and the events
 *   kept by the survivor that adopted the dead node's sessions (rescue.ts), if one did already.
 *
 * A different client address (§3.9.7) leaves either record in place: a stolen token must not
 * end the owner's session.
 */
export async function takeSession (gateway: Gateway, token: string, address: string): Promise<Resumable | null> {
  const { store } = gateway.services
  const dropped = await readHead(store, sessionKey(token))
  if (dropped) {
    if (dropped.address !== address) return null
    const taken = await store.take(sessionKey(token))
    if (taken === null) return null
    const head = JSON.parse(taken) as SessionHead
    // Taken: this connection alone reads the subscriptions hash (it is the session's now).
    const [record, keepers] = await Promise.all([withSubscriptions(store, token, head), gateway.adoption.keepers(token, head.holder)])
    return { record, keepers }
  }
  const live = await readHead(store, liveKey(token))
  if (!live || live.address !== address || await gateway.liveness.alive(live.holder)) return null
  const taken = await store.take(liveKey(token))
  if (taken === null) return null
  // The survivor that adopted the dead holder's sessions (rescue.ts) keeps its events.
  const [record, keepers] = await Promise.all([withSubscriptions(store, token, JSON.parse(taken) as SessionHead), gateway.adoption.keepers(token, live.holder)])
  return { record, keepers }
}
