import type { Adoption } from './adoption.js'
import { STALE_BEATS } from './liveness.js'
import type { NodeContext } from './node-context.js'
import { heldKey, liveKey, NODES_KEY, nodeKey, readHead, rescueKey, sessionKey } from './record.js'

/**
 * Survivors take over the sessions of a node that died (crash, kill, lost host; README "A node
 * that dies"): with a shared store every node is listed in `NODES_KEY` and watches the others'
 * heartbeats. Once a node's beat is gone, or has not changed for three heartbeats, one survivor
 * (`setIfAbsent(rescueKey)`) adopts every session in the dead node's held index — connected ones
 * from their live record, dropped ones from their dropped record — exactly as a stopping node's
 * sessions are adopted (adoption.ts): a KeptSession keeps their events until their RECONNECT,
 * which finds it through the adopt key. A restarted node is a new node (a new id): it finds its
 * previous incarnation in the list, already dead when its beat has expired, and takes it over
 * before it serves anyone.
 */
export class Rescue {
  /** The last beat seen of every other node, and for how many scans it has not changed. */
  readonly #seen = new Map<string, { beat: string | null, unchanged: number }>()
  readonly #rescuing = new Set<string>()
  #timer: NodeJS.Timeout | undefined
  #scanning = false
  /** In `NODES_KEY`: done at start, or at the first look after the store came back (an outage at start-up). */
  #listed = false

  constructor (private readonly gateway: NodeContext, private readonly adoption: Adoption) {}

  /** Lists this node, takes over the nodes already dead, then looks again every heartbeat. */
  async start (): Promise<void> {
    if (!this.gateway.shared) return
    // A node starts while the store is away (as every other part does): it lists itself later.
    await this.#scan(true)
    this.#timer = setInterval(() => void this.#scan(false), this.gateway.config.nodeHeartbeat)
    this.#timer.unref()
  }

  stop (): void {
    clearInterval(this.#timer)
  }

  /** Stopped with nothing left for anyone to take over: no node needs to look at this one again. */
  async forget (): Promise<void> {
    if (this.gateway.shared) await this.gateway.services.store.hashDelete(NODES_KEY, this.gateway.nodeId).catch(this.#warn)
  }

  /**
   * A node is dead once its beat (or its absence) has been the same for three looks: a beat that
   * expired while every node was cut off from the store is written again within one beat after.
   * At start-up a beat that is gone is dead at once: a restart takes its predecessor over before
   * it serves anyone.
   */
  async #scan (startup: boolean): Promise<void> {
    // A look that takes longer than a heartbeat (a slow store) is not overlapped by the next.
    if (this.#scanning) return
    this.#scanning = true
    try {
      const { store } = this.gateway.services
      if (!this.#listed) {
        await store.hashSet(NODES_KEY, this.gateway.nodeId, '1')
        this.#listed = true
      }
      const nodes = await store.hashGetAll(NODES_KEY)
      for (const node of this.#seen.keys()) if (!nodes.has(node)) this.#seen.delete(node)
      const rescues: Promise<void>[] = []
      for (const node of nodes.keys()) {
        if (node === this.gateway.nodeId || this.#rescuing.has(node)) continue
        const beat = await store.get(nodeKey(node))
        const seen = this.#seen.get(node)
        const unchanged = seen !== undefined && seen.beat === beat ? seen.unchanged + 1 : 0
        if (unchanged < STALE_BEATS && !(startup && beat === null)) {
          this.#seen.set(node, { beat, unchanged })
          continue
        }
        this.#seen.delete(node)
        rescues.push(this.#rescue(node))
      }
      await Promise.all(rescues)
    } catch (err) {
      // A store that is down is reported where it is noticed, not once per heartbeat here.
      if (this.gateway.services.store.isReady()) this.#warn(err as Error)
    } finally {
      this.#scanning = false
    }
  }

  async #rescue (dead: string): Promise<void> {
    const { config, nodeId, services: { store } } = this.gateway
    // A look still running when this node began to stop: what it took over would go with it.
    if (this.gateway.stopping) return
    this.#rescuing.add(dead)
    try {
      // One survivor takes the dead node over; if it dies on the way, another does once the key expires.
      if (!(await store.setIfAbsent(rescueKey(dead), nodeId, config.reconnectWindow + config.handoverTimeout))) return
      const tokens = Array.from((await store.hashGetAll(heldKey(dead))).keys())
      const won = await Promise.all(tokens.map((token) => this.#adopt(token, dead)))
      await store.delete(heldKey(dead))
      await store.hashDelete(NODES_KEY, dead)
      this.gateway.log.info({ node: dead, sessions: won.filter(Boolean).length }, 'telegraphy: sessions of a dead node taken over')
    } catch (err) {
      this.#warn(err as Error)
    } finally {
      this.#rescuing.delete(dead)
    }
  }

  /**
   * One session of the dead node: a dropped one (dropped there, or adopted by it) keeps the
   * record's first holder, so a RECONNECT follows the adopt keys from there to this node; a
   * connected one is adopted from its live record, whose holder is the dead node.
   */
  async #adopt (token: string, dead: string): Promise<boolean> {
    const dropped = await readHead(this.gateway.services.store, sessionKey(token))
    if (dropped) return this.adoption.adopt(token, dropped.holder, dead, sessionKey)
    return this.adoption.adopt(token, dead, dead, liveKey)
  }

  readonly #warn = (err: Error) => this.gateway.log.warn({ err: err.message }, 'telegraphy: dead nodes not looked after')
}
