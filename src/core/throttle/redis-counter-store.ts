import type { Redis } from 'ioredis'
import { SwitchboardError } from '../errors.js'
import type { DependencyHealth } from '../dependency-health.js'
import { closeRedis, connectRedis, redisReady } from '../redis/client.js'
import type { Count, CounterStore } from './counter-store.js'

export interface RedisCounterStoreOptions {
  url: string
  /** Every key starts with this (`storage.redisPrefix` + `throttle:`). */
  prefix: string
  onError?: (err: Error) => void
  /** Told when the connections lose Redis and get it back. */
  health?: DependencyHealth
}

// INCR and the expiry in one script, so a counter can never be left without a ttl (a crash
// between INCR and PEXPIRE would otherwise keep an address throttled for ever). A key found
// without a ttl (written by hand) gets the window too.
const INCREMENT = `
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if count == 1 or ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
`

type WithScript = Redis & {
  throttleIncrement (key: string, windowMs: number): Promise<[number, number]>
}

/** The cluster-wide counters: one Lua script per increment, GET + PTTL per read. */
export class RedisCounterStore implements CounterStore {
  readonly #redis: WithScript
  readonly #prefix: string

  constructor ({ url, prefix, onError = () => {}, health }: RedisCounterStoreOptions) {
    this.#prefix = prefix
    const redis = connectRedis(url, 'switchboard-throttle', health)
    redis.on('error', onError)
    redis.defineCommand('throttleIncrement', { numberOfKeys: 1, lua: INCREMENT })
    this.#redis = redis as WithScript
  }

  // While Redis is away, callers get one recognisable error (the throttle fails open on it).
  async #run<T> (command: () => Promise<T>): Promise<T> {
    try {
      return await command()
    } catch {
      // The driver's words ("Reached the max retries per request limit…") are not the client's business.
      throw new SwitchboardError('UNAVAILABLE', 'store unavailable')
    }
  }

  async increment (key: string, windowMs: number): Promise<Count> {
    const [count, ttl] = await this.#run(() => this.#redis.throttleIncrement(this.#prefix + key, windowMs))
    return { count, resetInMs: ttl }
  }

  async read (key: string): Promise<Count> {
    const k = this.#prefix + key
    const results = await this.#run(() => this.#redis.multi().get(k).pttl(k).exec())
    const count = Number(results![0][1] ?? 0)
    const ttl = results![1][1] as number
    return count > 0 && ttl > 0 ? { count, resetInMs: ttl } : { count: 0, resetInMs: 0 }
  }

  async delete (key: string): Promise<void> {
    await this.#run(() => this.#redis.del(this.#prefix + key))
  }

  isReady (): boolean {
    return redisReady(this.#redis)
  }

  close (): Promise<void> {
    return closeRedis(this.#redis)
  }
}
