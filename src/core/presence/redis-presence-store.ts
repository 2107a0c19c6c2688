import type { Redis } from 'ioredis'
import type { DependencyHealth } from '../dependency-health.js'
import { SwitchboardError } from '../errors.js'
import { closeRedis, connectRedis } from '../redis/client.js'
import { channelKey, LocalEntries, type PresenceMember, type PresenceStore, type PresenceTimers } from './presence-store.js'

export interface RedisPresenceOptions extends PresenceTimers {
  url: string
  /** Every key starts with it (`<storage.redisPrefix>presence:`). */
  prefix: string
  node: string
  health?: DependencyHealth
  onError?: (err: Error) => void
  /** Writes held while Redis does not take them; past it they are dropped and repaired by a resync. */
  maxQueued?: number
}

type Write = [op: 'join', key: string, connectionId: string, user: string | null] | [op: 'leave', key: string, connectionId: string]

const unavailable = () => new SwitchboardError('UNAVAILABLE', 'store unavailable')

/**
 * Presence in Redis, shared by every node. A channel is a hash (`ch:<protocol>:<channel>`:
 * connection id → [incarnation, user]); the live nodes are a sorted set (`nodes`: incarnation
 * scored by when it expires). An entry counts only while its incarnation is live, so a crashed
 * node's entries vanish from every answer once its score passes (`ttl`), are deleted by the
 * next reader, and their hash expires unless a live node refreshes it.
 *
 * An incarnation is `<node>.<epoch>`: when this node lost writes (Redis away, queue full) or
 * found itself expired (a stalled heartbeat), it starts a new epoch and writes all its entries
 * again, so whatever it failed to remove meanwhile is left behind under the old, dead one.
 */
export class RedisPresenceStore implements PresenceStore {
  readonly node: string
  readonly #redis: Redis
  readonly #prefix: string
  readonly #entries = new LocalEntries()
  readonly #timers: PresenceTimers
  readonly #maxQueued: number
  #epoch = 0
  #queue: Write[] = []
  #flushing = false
  #dirty = false
  #beating: Promise<void> | null = null
  #timer: NodeJS.Timeout | undefined
  #closed = false

  constructor ({ url, prefix, node, ttl, heartbeat, health, onError = () => {}, maxQueued = 10_000 }: RedisPresenceOptions) {
    this.node = node
    this.#prefix = prefix
    this.#timers = { ttl, heartbeat }
    this.#maxQueued = maxQueued
    // A write either runs while connected or fails (and the heartbeat writes everything again):
    // one held in an offline queue, or resent after a reconnect, could land after that rewrite
    // and put back what it replaced.
    this.#redis = connectRedis(url, 'switchboard-presence', health, { enableOfflineQueue: false, autoResendUnfulfilledCommands: false })
    this.#redis.on('error', onError)
  }

  get #incarnation (): string {
    return `${this.node}.${this.#epoch}`
  }

  get #nodesKey (): string {
    return `${this.#prefix}nodes`
  }

  #hashKey (key: string): string {
    return `${this.#prefix}ch:${key}`
  }

  join (protocol: string, channel: string, connectionId: string, user: string | null): void {
    const key = channelKey(protocol, channel)
    if (this.#entries.add(key, connectionId, user)) this.#write(['join', key, connectionId, user])
  }

  leave (protocol: string, channel: string, connectionId: string): void {
    const key = channelKey(protocol, channel)
    if (this.#entries.remove(key, connectionId)) this.#write(['leave', key, connectionId])
  }

  async members (protocol: string, channel: string): Promise<PresenceMember[]> {
    const hash = this.#hashKey(channelKey(protocol, channel))
    let found: Record<string, string>
    let live: Set<string>
    try {
      const [entries, nodes] = await Promise.all([this.#redis.hgetall(hash), this.#liveIncarnations()])
      found = entries
      live = nodes
    } catch {
      throw unavailable()
    }
    const out: PresenceMember[] = []
    const dead: string[] = []
    for (const [connectionId, value] of Object.entries(found)) {
      const entry = decode(value)
      if (entry !== null && live.has(entry[0])) out.push({ connectionId, user: entry[1], node: nodeOf(entry[0]) })
      else dead.push(connectionId)
    }
    // What a dead incarnation left: gone for every later reader (a failure here changes no answer).
    if (dead.length > 0) this.#redis.hdel(hash, ...dead).catch(() => {})
    return out
  }

  async nodes (): Promise<string[]> {
    try {
      return [...new Set(Array.from(await this.#liveIncarnations(), nodeOf))]
    } catch {
      throw unavailable()
    }
  }

  localChannels (): Map<string, string[]> {
    return this.#entries.byConnection()
  }

  async start (): Promise<void> {
    // Not awaited by the caller's start-up when Redis is away: a node starts, and counts as
    // alive from its first heartbeat that reaches Redis.
    this.#timer = setInterval(() => { void this.#beat() }, this.#timers.heartbeat)
    this.#timer.unref()
    // Commands do not wait for a connection (no offline queue): the first heartbeat waits for it, briefly.
    const connected = new Promise<void>((resolve) => {
      if (this.#redis.status === 'ready') resolve()
      else this.#redis.once('ready', () => resolve())
    })
    await within(connected, Math.min(this.#timers.ttl, 1000)).catch(() => {})
    await this.#beat()
  }

  async close (): Promise<void> {
    this.#closed = true
    clearInterval(this.#timer)
    await this.#beating
    const pipeline = this.#redis.pipeline().zrem(this.#nodesKey, this.#incarnation)
    for (const [key, members] of this.#entries.channels()) pipeline.hdel(this.#hashKey(key), ...members.keys())
    this.#entries.clear()
    this.#queue = []
    // A graceful stop: its entries go now rather than at their ttl (nothing lost if Redis is away).
    await pipeline.exec().catch(() => {})
    await closeRedis(this.#redis)
  }

  async #liveIncarnations (): Promise<Set<string>> {
    return new Set(await this.#redis.zrangebyscore(this.#nodesKey, `(${Date.now()}`, '+inf'))
  }

  #write (write: Write): void {
    if (this.#closed) return
    if (this.#queue.length >= this.#maxQueued) {
      // Redis is not keeping up (or away): the next heartbeat writes everything again.
      this.#queue = []
      this.#dirty = true
      return
    }
    this.#queue.push(write)
    if (this.#queue.length === 1 && !this.#flushing) setImmediate(() => { void this.#flush() })
  }

  /** Sends what was queued in one pipeline; values are encoded now, with the current incarnation. */
  async #flush (): Promise<void> {
    if (this.#flushing || this.#queue.length === 0) return
    this.#flushing = true
    const writes = this.#queue
    this.#queue = []
    const pipeline = this.#redis.pipeline()
    for (const write of writes) {
      const hash = this.#hashKey(write[1])
      if (write[0] === 'join') pipeline.hset(hash, write[2], encode(this.#incarnation, write[3])).pexpire(hash, this.#timers.ttl)
      else pipeline.hdel(hash, write[2])
    }
    try {
      const results = await within(pipeline.exec(), this.#timers.ttl)
      if (results?.some(([err]) => err !== null)) this.#dirty = true
    } catch {
      this.#dirty = true
    } finally {
      this.#flushing = false
    }
    if (this.#queue.length > 0) void this.#flush()
  }

  #beat (): Promise<void> {
    if (this.#beating === null && !this.#closed) {
      this.#beating = within(this.#refresh(), this.#timers.ttl)
        .catch(() => { this.#dirty = true })
        .finally(() => { this.#beating = null })
    }
    return this.#beating ?? Promise.resolve()
  }

  async #refresh (): Promise<void> {
    const score = await this.#redis.zscore(this.#nodesKey, this.#incarnation)
    const now = Date.now()
    const expired = score === null || Number(score) <= now
    const pipeline = this.#redis.pipeline()
    const rewrite = this.#dirty || expired
    if (rewrite) {
      // Whatever this node wrote before may be incomplete: all of it again, as a new incarnation.
      this.#dirty = false
      pipeline.zrem(this.#nodesKey, this.#incarnation)
      this.#epoch++
    }
    pipeline.zadd(this.#nodesKey, now + this.#timers.ttl, this.#incarnation)
    pipeline.zremrangebyscore(this.#nodesKey, '-inf', now)
    for (const [key, members] of this.#entries.channels()) {
      const hash = this.#hashKey(key)
      if (rewrite) for (const [connectionId, user] of members) pipeline.hset(hash, connectionId, encode(this.#incarnation, user))
      pipeline.pexpire(hash, this.#timers.ttl)
    }
    const results = await pipeline.exec()
    if (results?.some(([err]) => err !== null)) throw new Error('presence heartbeat failed')
  }
}

/**
 * Rejects when `work` has not settled within `ms`: a command lost in a reconnect must not stop
 * the heartbeat or the writes for good (the next heartbeat writes everything again).
 */
async function within<T> (work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const stalled = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => reject(new Error('presence write stalled')), ms) })
  try {
    return await Promise.race([work, stalled])
  } finally {
    clearTimeout(timer)
  }
}

const encode = (incarnation: string, user: string | null): string => JSON.stringify([incarnation, user])

function decode (value: string): [string, string | null] | null {
  try {
    const entry: unknown = JSON.parse(value)
    return Array.isArray(entry) && typeof entry[0] === 'string' && (typeof entry[1] === 'string' || entry[1] === null) ? [entry[0], entry[1]] : null
  } catch {
    return null
  }
}

const nodeOf = (incarnation: string): string => incarnation.slice(0, incarnation.lastIndexOf('.'))
