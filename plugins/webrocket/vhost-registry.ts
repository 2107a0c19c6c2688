import type { Hub, Subscriber } from '../../src/core/hub/hub.js'
import type { HubMessage } from '../../src/core/hub/message.js'
import { randomId } from '../../src/core/ids.js'
import type { UserRow, WebrocketDb } from './db.js'

/** What the registry needs of a local session, to apply admin changes to it. */
export interface VhostMember {
  /** The vhost user the session authenticated as, if any. */
  readonly user: string | null
  /** The channel was deleted: stop delivering it (spec §2.8 c, `DELETE /:vhost/channels/:channel`). */
  dropChannel (channel: string): void
  /** The vhost was deleted. */
  close (code: number, reason: string): void
}

/** A change made through the admin API, announced to every node so their caches follow. */
export type Change =
  | { op: 'vhost', vhost: string }
  | { op: 'user', vhost: string, name: string }
  | { op: 'channel', vhost: string, name: string }
  | { op: 'channels', vhost: string }

/** Hub topic carrying `Change`s (vhost paths start with '/', so no vhost topic can be this). */
export const CHANGES_TOPIC = 'webrocket:changes'

/**
 * `webrocket:<vhost>:` — the hub topic of a channel is this plus the channel name (design.md §2).
 * '%' and ':' are escaped in the vhost so that no (vhost, channel) pair can spell another one's
 * topic: vhosts must stay isolated.
 */
export function topicPrefix (vhost: string): string {
  return `webrocket:${vhost.replace(/%/g, '%25').replace(/:/g, '%3A')}:`
}

/**
 * One vhost as this node sees it. Users and channels are cached when first seen and read from
 * the database on a miss, so whatever another node just created is found at once; changes and
 * deletions reach the cache through `CHANGES_TOPIC`.
 */
export class Vhost {
  readonly topicPrefix: string
  /** Users seen on this node (positives only). */
  readonly users = new Map<string, UserRow>()
  /** Channels known to exist (positives only). */
  readonly channels = new Set<string>()
  /** This node's sessions on the vhost. */
  readonly members = new Set<VhostMember>()
  deleted = false

  constructor (
    readonly path: string,
    readonly id: string,
    private readonly db: WebrocketDb,
    /** Channels clients may create in this vhost (`limits.channelsPerVhost`). */
    private readonly channelLimit: number,
  ) {
    this.topicPrefix = topicPrefix(path)
  }

  /** The user, from the cache or the database. */
  async findUser (name: string): Promise<UserRow | null> {
    const cached = this.users.get(name)
    if (cached) return cached
    const row = await this.db.user(this.path, name)
    if (row && !this.deleted) this.users.set(name, row)
    return row
  }

  /** Permission bits of a user this node has seen authenticate (0 once it is removed). */
  permissionsOf (name: string): number {
    return this.users.get(name)?.permissions ?? 0
  }

  async hasChannel (name: string): Promise<boolean> {
    if (this.channels.has(name)) return true
    if (!(await this.db.channelExists(this.path, name))) return false
    if (!this.deleted) this.channels.add(name)
    return true
  }

  /**
   * A client's subscribe: creates the channel if needed (spec §2.4) and `create` allows it, in
   * the database for every node, unless the vhost already holds `channelLimit` client-created
   * channels (issue 14). False when the channel does not exist and may not be created.
   */
  async ensureChannel (name: string, create = true): Promise<boolean> {
    if (this.channels.has(name)) return true
    if (!create) return this.hasChannel(name)
    if ((await this.db.createClientChannel(this.path, name, this.channelLimit)) === 'full') return false
    if (!this.deleted) this.channels.add(name)
    return true
  }
}

/** This node's vhosts, loaded on first use and kept in step with the database. */
export class VhostRegistry implements Subscriber {
  readonly #vhosts = new Map<string, Vhost>()
  readonly #loading = new Map<string, Promise<Vhost | null>>()
  readonly #node = randomId(9)

  constructor (
    private readonly db: WebrocketDb,
    private readonly hub: Hub,
    private readonly onError: (err: unknown) => void,
    /** Channels clients may create per vhost (`limits.channelsPerVhost`). */
    private readonly channelLimit: number,
  ) {}

  start (): Promise<void> {
    return this.hub.subscribe(CHANGES_TOPIC, this)
  }

  stop (): Promise<void> {
    return this.hub.unsubscribe(CHANGES_TOPIC, this)
  }

  /** The vhost at `path` when it is loaded already (every upgrade but the first asks). */
  cached (path: string): Vhost | undefined {
    return this.#vhosts.get(path)
  }

  /** The vhost at `path`, or null if there is none. */
  get (path: string): Promise<Vhost | null> {
    const cached = this.#vhosts.get(path)
    if (cached) return Promise.resolve(cached)
    let loading = this.#loading.get(path)
    if (!loading) {
      loading = this.#load(path).finally(() => this.#loading.delete(path))
      this.#loading.set(path, loading)
    }
    return loading
  }

  async #load (path: string): Promise<Vhost | null> {
    const row = await this.db.vhost(path)
    if (!row) return null
    const vhost = new Vhost(path, row.id, this.db, this.channelLimit)
    this.#vhosts.set(path, vhost)
    return vhost
  }

  /** Applies a change made on this node at once, then tells the other nodes. */
  async changed (change: Change): Promise<void> {
    await this.#apply(change)
    await this.hub.publish(CHANGES_TOPIC, { ...change, node: this.#node })
  }

  deliver (message: HubMessage): void {
    const change = message.data as Change & { node: string }
    if (change.node === this.#node) return
    this.#apply(change).catch(this.onError)
  }

  async #apply (change: Change): Promise<void> {
    await this.#loading.get(change.vhost)
    const vhost = this.#vhosts.get(change.vhost)
    if (!vhost) return
    switch (change.op) {
      case 'vhost': {
        const row = await this.db.vhost(vhost.path)
        if (row && row.id === vhost.id) return
        this.#vhosts.delete(vhost.path)
        vhost.deleted = true
        for (const member of vhost.members) member.close(1001, 'vhost deleted')
        return
      }
      case 'user': {
        const row = await this.db.user(vhost.path, change.name)
        if (row) {
          vhost.users.set(change.name, row)
          return
        }
        vhost.users.delete(change.name)
        // A removed user's connections must not keep receiving what it was subscribed to.
        for (const member of vhost.members) if (member.user === change.name) member.close(1008, 'user removed')
        return
      }
      case 'channel':
        return this.#recheckChannel(vhost, change.name)
      case 'channels':
        await Promise.all([...vhost.channels].map((name) => this.#recheckChannel(vhost, name)))
    }
  }

  async #recheckChannel (vhost: Vhost, name: string): Promise<void> {
    if (!vhost.channels.has(name) || await this.db.channelExists(vhost.path, name)) return
    vhost.channels.delete(name)
    for (const member of vhost.members) member.dropChannel(name)
  }
}
