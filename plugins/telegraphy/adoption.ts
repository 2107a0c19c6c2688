import type { HubMessage } from '../../src/core/hub/message.js'
import type { DetachedSession, NodeContext } from './node-context.js'
import { KeptSession } from './kept.js'
import { adoptKey, readHead, sessionKey, withSubscriptions } from './record.js'

/** Where the session to adopt is: its dropped record, or the live record of a node that died. */
export type RecordKey = (token: string) => string

/** Shared control topic of every node (outside `telegraphy:`, like the node topics: decision 12). */
const NODES_TOPIC = 'telegraphy-nodes'
/** Adoptions of one session followed from its first holder (a few rolling restarts at most). */
const MAX_HOPS = 8

interface Offer {
  type: 'adopt'
  from: string
  /** Each dropped session with the node that kept it first (its record's `holder`). */
  sessions: { token: string, holder: string }[]
}

/**
 * Adoption of dropped sessions when a node stops gracefully (rolling restart; README "Sessions
 * and RECONNECT"). The stopping node offers its dropped sessions on a shared topic; for each one
 * exactly one other node wins `setIfAbsent(adoptKey(token, from))`, keeps the session's events
 * (a KeptSession, as for a local drop) and acknowledges. The stopping node keeps pushing until
 * the acknowledgement (or `handoverTimeout`), so no event falls between the two; events both
 * pushed are dropped by id at the RECONNECT. Records are never rewritten: a RECONNECT that took
 * a record follows the adopt keys from its holder to find every node that may still keep events.
 */
export class Adoption {
  readonly #acknowledge = new Map<string, () => void>()
  readonly #listener = { deliver: (message: HubMessage) => this.#onOffer(message.data as Offer) }

  constructor (private readonly gateway: NodeContext) {}

  start (): Promise<void> {
    return this.gateway.services.hub.subscribe(NODES_TOPIC, this.#listener)
  }

  /**
   * Stopping: asks the other nodes to adopt these sessions. Each session is handed over once it
   * is acknowledged; resolves when all are (true), or after `handoverTimeout` (false: no other
   * node alive, or not all answered).
   */
  async offer (sessions: DetachedSession[]): Promise<boolean> {
    if (sessions.length === 0) return true
    if (!this.gateway.shared) return false
    const { hub } = this.gateway.services
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<void>((resolve) => { timer = setTimeout(resolve, this.gateway.config.handoverTimeout) })
    const acknowledged = Promise.all(sessions.map((session) => new Promise<void>((resolve) => {
      this.#acknowledge.set(session.token, () => resolve(session.handOver()))
    })))
    const offer: Offer = { type: 'adopt', from: this.gateway.nodeId, sessions: sessions.map((s) => ({ token: s.token, holder: s.holder })) }
    await hub.publish(NODES_TOPIC, offer)
    const all = await Promise.race([acknowledged.then(() => true), timeout.then(() => false)])
    clearTimeout(timer)
    this.#acknowledge.clear()
    return all
  }

  /** An adopter's acknowledgement (gateway control topic). */
  acknowledged (tokens: string[]): void {
    for (const token of tokens) this.#acknowledge.get(token)?.()
  }

  /**
   * The nodes that may still keep events of a dropped session whose record a RECONNECT took:
   * its holder, whoever adopted it from the holder, and so on; nodes no longer beating keep
   * nothing and are left out (so nobody waits `handoverTimeout` for a node that has stopped).
   */
  async keepers (token: string, holder: string): Promise<string[]> {
    const { store } = this.gateway.services
    const chain = [holder]
    for (let hop = 0; hop < MAX_HOPS; hop++) {
      const next = await store.get(adoptKey(token, chain[chain.length - 1]))
      if (next === null || chain.includes(next)) break
      chain.push(next)
    }
    const beating = await Promise.all(chain.map((node) => this.gateway.liveness.beating(node)))
    return chain.filter((_node, i) => beating[i])
  }

  #onOffer (offer: Offer): void {
    if (offer.from === this.gateway.nodeId || this.gateway.stopping) return
    const adopting = offer.sessions.map(({ token, holder }) => this.adopt(token, holder, offer.from, sessionKey))
    // adopt never rejects: a failure is a session not won.
    void Promise.all(adopting).then((won) => {
      const sessions = offer.sessions.filter((_s, i) => won[i]).map((s) => s.token)
      if (sessions.length > 0) this.gateway.tell(offer.from, { type: 'adopted', sessions })
    })
  }

  /**
   * Adopts the session `token` from node `from` (stopping, or dead: rescue.ts), whose record at
   * `recordKey` names `holder`. True when this node won the session and keeps it (or found it
   * resumed meanwhile); false when another node won it, or the store failed (a stopping node
   * then keeps pushing until `handoverTimeout`).
   */
  async adopt (token: string, holder: string, from: string, recordKey: RecordKey): Promise<boolean> {
    const { config, services: { store } } = this.gateway
    let kept: KeptSession | undefined
    try {
      if (!(await store.setIfAbsent(adoptKey(token, from), this.gateway.nodeId, config.reconnectWindow + config.handoverTimeout))) return false
      // Registered before the record is read: a RECONNECT that takes the record after this read
      // finds this node through the adopt key, and its claim must find the session here.
      kept = new KeptSession(this.gateway, token, holder)
      const head = await readHead(store, recordKey(token))
      // Gone (resumed, or its window is over) or a newer drop of the session: nothing to keep.
      if (!head || head.holder !== holder) kept.release()
      else await kept.adopt(await withSubscriptions(store, token, head))
      return true
    } catch (err) {
      kept?.release()
      this.gateway.log.warn({ err: (err as Error).message }, 'telegraphy: session not adopted')
      return false
    }
  }
}
