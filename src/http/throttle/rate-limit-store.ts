import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit'
import type { CounterStore } from '../../core/throttle/counter-store.js'

type Callback = Parameters<FastifyRateLimitStore['incr']>[1]

/**
 * @fastify/rate-limit's store interface over the core throttle counters, so REST request
 * budgets live where the in-socket failure budgets do: in Redis (under
 * `storage.redisPrefix` + `throttle:`) when it is configured, holding across nodes, in
 * process otherwise. Every route shares one budget per address (`child` returns the same
 * namespace): a client cannot multiply its budget by spreading over the credential routes.
 */
export function counterRateLimitStore (counters: CounterStore, namespace: string): FastifyRateLimitStoreCtor {
  const answer = (promise: ReturnType<CounterStore['read']>, callback: Callback) => {
    promise.then(({ count, resetInMs }) => callback(null, { current: count, ttl: resetInMs }), (err: Error) => callback(err))
  }
  class CounterRateLimitStore implements FastifyRateLimitStore {
    incr (key: string, callback: Callback, timeWindow: number): void {
      answer(counters.increment(namespace + key, timeWindow), callback)
    }

    read (key: string, callback: Callback): void {
      answer(counters.read(namespace + key), callback)
    }

    child (): FastifyRateLimitStore {
      return this
    }
  }
  return CounterRateLimitStore
}
