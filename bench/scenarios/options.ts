// Sizes of every scenario, full run and `--smoke`.
import type { SubjectName } from '../lib/wire.js'

export interface FanoutSizes {
  subscribers: number
  /**
   * Offered publishes/s, ascending; the run climbs until a level saturates, then runs twice that
   * rate (in the ladder or not) and stops (lib/saturation.ts).
   */
  rates: number[]
  /** The level whose latency is reported (publishes/s). */
  latencyRate: number
  warmMs: number
  windowMs: number
}

export interface BenchOptions {
  smoke: boolean
  runId: string
  generators: number
  fanout: FanoutSizes
  memory: { connections: number, concurrency: number }
  connrate: { connections: number, concurrency: number }
  /**
   * Passes per subject of the connection scenarios, round-robin, each round starting with the
   * next subject; the median is reported (one pass on this shared 2-core box varied ±10 %).
   */
  connectionRounds: number
  cluster: FanoutSizes & { redis: string }
}

export const FANOUT_SUBJECTS: SubjectName[] = ['webrocket', 'webrocket-rules', 'webrocket-nometrics', 'telegraphy', 'das', 'das-unacked', 'uws', 'ws-prebuilt', 'ws', 'socketio']
// `ws-fastify` is a reference for the connection-rate targets (what Fastify's upgrade path costs).
export const CONNECTION_SUBJECTS: SubjectName[] = ['webrocket', 'telegraphy', 'syscache', 'das', 'ws', 'ws-fastify', 'socketio']

export function sizes (smoke: boolean, runId: string, generators: number): BenchOptions {
  if (smoke) {
    const fanout = { subscribers: 20, rates: [100, 400], latencyRate: 100, warmMs: 150, windowMs: 400 }
    return {
      smoke, runId, generators,
      fanout,
      memory: { connections: 100, concurrency: 20 },
      connrate: { connections: 100, concurrency: 20 },
      connectionRounds: 1,
      cluster: { ...fanout, redis: 'redis://127.0.0.1:6379' },
    }
  }
  return {
    smoke, runId, generators,
    // 200 publishes/s × 1000 subscribers = the 200k deliveries/s latency point of issue 8.
    fanout: { subscribers: 1000, rates: [100, 200, 400, 800, 1600, 3200, 6400], latencyRate: 200, warmMs: 1000, windowMs: 3000 },
    memory: { connections: 15_000, concurrency: 100 },
    connrate: { connections: 5000, concurrency: 100 },
    connectionRounds: 5,
    cluster: { subscribers: 1000, rates: [100, 200, 400, 800, 1600, 3200], latencyRate: 100, warmMs: 1000, windowMs: 3000, redis: 'redis://127.0.0.1:6379' },
  }
}
