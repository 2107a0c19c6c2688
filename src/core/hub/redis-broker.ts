import type { Redis } from 'ioredis'
import { randomId } from '../ids.js'
import type { DependencyHealth } from '../dependency-health.js'
import { closeRedis, connectRedis, redisReady } from '../redis/client.js'
import type { Broker, BrokerHandler } from './broker.js'

export interface RedisBrokerOptions {
  url: string
  prefix: string
  onError?: (err: Error) => void
  /** Told when the connections lose Redis and get it back. */
  health?: DependencyHealth
}

/**
 * Redis PUBLISH/SUBSCRIBE between nodes. A node delivers its own publishes locally at once
 * (so local traffic keeps flowing while Redis is away) and skips their echo from Redis, which
 * it recognises by the node id written in front of every payload. The time of the publish
 * follows the node id (`<nodeId> <ms> <payload>`): the receiving node's delivery latency.
 */
export class RedisBroker implements Broker {
  readonly nodeId = randomId(9)
  readonly #pub: Redis
  readonly #sub: Redis
  readonly #prefix: string
  readonly #channels = new Set<string>()
  readonly #onError: (err: Error) => void
  #handler: BrokerHandler = () => {}

  constructor ({ url, prefix, onError = () => {}, health }: RedisBrokerOptions) {
    this.#prefix = prefix
    this.#onError = onError
    this.#pub = connectRedis(url, 'switchboard-pub', health)
    this.#sub = connectRedis(url, 'switchboard-sub', health)
    this.#pub.on('error', onError)
    this.#sub.on('error', onError)
    this.#sub.on('message', (redisChannel: string, message: string) => this.#receive(redisChannel, message))
    // Channels subscribed while Redis was away are (re)subscribed as soon as it is back.
    this.#sub.on('ready', () => {
      if (this.#channels.size) this.#sub.subscribe(...[...this.#channels].map((c) => this.#prefix + c)).catch(onError)
    })
  }

  #receive (redisChannel: string, message: string): void {
    const space = message.indexOf(' ')
    if (message.slice(0, space) === this.nodeId) return
    const channel = redisChannel.slice(this.#prefix.length)
    if (!this.#channels.has(channel)) return
    const second = message.indexOf(' ', space + 1)
    const publishedAt = second > space ? Number(message.slice(space + 1, second)) : NaN
    // A node of an earlier version writes no time (`<nodeId> <payload>`; payloads are JSON, never
    // a bare number and a space): during a rolling upgrade its messages still arrive, untimed.
    if (Number.isInteger(publishedAt)) this.#handler(channel, message.slice(second + 1), publishedAt)
    else this.#handler(channel, message.slice(space + 1), NaN)
  }

  onMessage (handler: BrokerHandler): void {
    this.#handler = handler
  }

  /** Resolves once subscribed; while Redis is away it resolves at once and subscribes on reconnect. */
  async subscribe (channel: string): Promise<void> {
    this.#channels.add(channel)
    try {
      await this.#sub.subscribe(this.#prefix + channel)
    } catch (err) {
      this.#onError(err as Error)
    }
  }

  async unsubscribe (channel: string): Promise<void> {
    this.#channels.delete(channel)
    try {
      await this.#sub.unsubscribe(this.#prefix + channel)
    } catch (err) {
      // Redis forgot every subscription when it went away; nothing to undo.
      this.#onError(err as Error)
    }
  }

  async publish (channel: string, payload: string): Promise<void> {
    const publishedAt = Date.now()
    if (this.#channels.has(channel)) this.#handler(channel, payload, publishedAt)
    try {
      await this.#pub.publish(this.#prefix + channel, `${this.nodeId} ${publishedAt} ${payload}`)
    } catch (err) {
      // Other nodes miss this message while Redis is down; this node already delivered it.
      this.#onError(err as Error)
    }
  }

  isReady (): boolean {
    return redisReady(this.#pub) && redisReady(this.#sub)
  }

  async close (): Promise<void> {
    this.#channels.clear()
    await Promise.all([closeRedis(this.#pub), closeRedis(this.#sub)])
  }
}
