// Scenario 4: two Switchboard nodes sharing Redis (a run-unique key prefix, removed at the end),
// WebRocket subscribers split across them, the publisher on the first.
import { Redis } from 'ioredis'
import { ServerProcess, stopAll, type GeneratorPool } from '../lib/fleet.js'
import { measureFanout, type FanoutResult } from './fanout.js'
import type { BenchOptions } from './options.js'

export interface ClusterResult {
  nodes: number
  redisPrefix: string
  cluster: FanoutResult
  single: FanoutResult
  error?: string
}

const SUBJECT = 'webrocket'

/** Deletes every key of this run (bounded in time; a left-over key is only reported). */
async function cleanRedis (url: string, prefix: string, log: (line: string) => void): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null })
  try {
    await redis.connect()
    let cursor = '0'
    let deleted = 0
    const deadline = Date.now() + 10_000
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500)
      cursor = next
      if (keys.length) deleted += await redis.del(...keys)
    } while (cursor !== '0' && Date.now() < deadline)
    if (deleted) log(`  removed ${deleted} Redis keys under ${prefix}`)
  } catch (err) {
    log(`  could not clean Redis prefix ${prefix}: ${(err as Error).message}`)
  } finally {
    redis.disconnect()
  }
}

async function redisAvailable (url: string): Promise<boolean> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null, connectTimeout: 2000 })
  try {
    await redis.connect()
    return (await redis.ping()) === 'PONG'
  } catch {
    return false
  } finally {
    redis.disconnect()
  }
}

/** `single` is the same subject's single-process fan-out from this run when there is one. */
export async function runCluster (options: BenchOptions, pool: GeneratorPool, single: FanoutResult | undefined, log: (line: string) => void): Promise<ClusterResult> {
  const sizes = options.cluster
  const redisPrefix = `switchboard-bench:${options.runId}:`
  const failed = (error: string): ClusterResult => {
    const empty: FanoutResult = { subject: SUBJECT, subscribers: sizes.subscribers, generators: pool.subscribers.length, levels: [], saturation: null, latency: null, error }
    return { nodes: 2, redisPrefix, cluster: empty, single: single ?? empty, error }
  }
  if (!(await redisAvailable(sizes.redis))) return failed(`Redis not reachable at ${sizes.redis}`)

  // The single-process reference with the cluster's own ladder (its latency point differs from scenario 1's).
  let reference = single
  if (!reference || reference.error || reference.subscribers !== sizes.subscribers) {
    let server: ServerProcess | undefined
    try {
      server = await ServerProcess.start('single', SUBJECT)
      reference = await measureFanout({
        subject: SUBJECT, label: 'webrocket single', servers: [server], subscriberPorts: [server.port], publishPort: server.port,
        sizes, pool, log,
      })
    } finally {
      await server?.stop()
    }
  }

  let nodes: ServerProcess[] = []
  try {
    nodes = await Promise.all(['node A', 'node B'].map((label) => ServerProcess.start(label, SUBJECT, { redis: sizes.redis, redisPrefix })))
    // Generator i subscribes on node i % 2 (the pool has at least two: half the subscribers on each node).
    const cluster = await measureFanout({
      subject: SUBJECT, label: 'webrocket 2 nodes', servers: nodes, subscriberPorts: nodes.map((n) => n.port), publishPort: nodes[0].port,
      sizes, pool, log,
    })
    return { nodes: 2, redisPrefix, cluster, single: reference, error: cluster.error }
  } catch (err) {
    log(`  cluster: FAILED ${(err as Error).message}`)
    return failed((err as Error).message)
  } finally {
    await stopAll(nodes)
    await cleanRedis(sizes.redis, redisPrefix, log)
  }
}
