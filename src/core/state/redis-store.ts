import type { Redis } from 'ioredis'
import { SwitchboardError } from '../errors.js'
import type { DependencyHealth } from '../dependency-health.js'
import { closeRedis, connectRedis, redisReady } from '../redis/client.js'
import type { EphemeralStore } from './store.js'

export interface RedisStoreOptions {
  url: string
  prefix: string
  onError?: (err: Error) => void
  /** Told when the connections lose Redis and get it back. */
  health?: DependencyHealth
}

/** The cluster-wide store: GETDEL for take, SET PX for ttl, PEXPIRE for sliding expiry. */
export class RedisStore implements EphemeralStore {
  readonly #redis: Redis
  readonly #prefix: string

  constructor ({ url, prefix, onError = () => {}, health }: RedisStoreOptions) {
    this.#prefix = prefix
    this.#redis = connectRedis(url, 'switchboard-store', health)
    this.#redis.on('error', onError)
  }

  // While Redis is away, callers get one recognisable error (HTTP 503) instead of a driver's.
  async #run<T> (command: () => Promise<T>): Promise<T> {
    try {
      return await command()
    } catch {
      // The driver's words ("Reached the max retries per request limit…") are not the client's business.
      throw new SwitchboardError('UNAVAILABLE', 'store unavailable')
    }
  }

  async set (key: string, value: string, ttlMs?: number): Promise<void> {
    await this.#run(() => ttlMs ? this.#redis.set(this.#prefix + key, value, 'PX', ttlMs) : this.#redis.set(this.#prefix + key, value))
  }

  async setIfAbsent (key: string, value: string, ttlMs?: number): Promise<boolean> {
    const reply = await this.#run(() => ttlMs
      ? this.#redis.set(this.#prefix + key, value, 'PX', ttlMs, 'NX')
      : this.#redis.set(this.#prefix + key, value, 'NX'))
    return reply === 'OK'
  }

  get (key: string): Promise<string | null> {
    return this.#run(() => this.#redis.get(this.#prefix + key))
  }

  take (key: string): Promise<string | null> {
    return this.#run(() => this.#redis.getdel(this.#prefix + key))
  }

  async touch (key: string, ttlMs: number): Promise<boolean> {
    const k = this.#prefix + key
    if (ttlMs > 0) return (await this.#run(() => this.#redis.pexpire(k, ttlMs))) === 1
    // PEXPIRE 0 would delete the key; PERSIST answers 0 for a key without a ttl, hence EXISTS.
    const results = await this.#run(() => this.#redis.multi().exists(k).persist(k).exec())
    return results![0][1] === 1
  }

  /** GETEX (Redis 6.2+): the read and the new ttl in one atomic command. */
  getAndTouch (key: string, ttlMs: number): Promise<string | null> {
    return this.#run(() => this.#redis.getex(this.#prefix + key, 'PX', ttlMs))
  }

  async delete (key: string): Promise<boolean> {
    return (await this.#run(() => this.#redis.del(this.#prefix + key))) === 1
  }

  async push (key: string, value: string, ttlMs?: number): Promise<number> {
    const k = this.#prefix + key
    const multi = this.#redis.multi().rpush(k, value)
    if (ttlMs) multi.pexpire(k, ttlMs)
    else multi.persist(k)
    const results = await this.#run(() => multi.exec())
    return results![0][1] as number
  }

  async drain (key: string): Promise<string[]> {
    const k = this.#prefix + key
    const results = await this.#run(() => this.#redis.multi().lrange(k, 0, -1).del(k).exec())
    return results![0][1] as string[]
  }

  async hashSet (key: string, field: string, value: string, ttlMs?: number): Promise<void> {
    const k = this.#prefix + key
    const multi = this.#redis.multi().hset(k, field, value)
    if (ttlMs) multi.pexpire(k, ttlMs)
    else multi.persist(k)
    await this.#run(() => multi.exec())
  }

  async hashDelete (key: string, field: string): Promise<boolean> {
    return (await this.#run(() => this.#redis.hdel(this.#prefix + key, field))) === 1
  }

  async hashGetAll (key: string): Promise<Map<string, string>> {
    // The flat reply (field, value, …) read into a Map: no field name can collide with an
    // object's own properties (`__proto__`).
    const flat = await this.#run(() => this.#redis.call('HGETALL', this.#prefix + key)) as string[]
    const hash = new Map<string, string>()
    for (let i = 0; i + 1 < flat.length; i += 2) hash.set(flat[i], flat[i + 1])
    return hash
  }

  isReady (): boolean {
    return redisReady(this.#redis)
  }

  close (): Promise<void> {
    return closeRedis(this.#redis)
  }
}
