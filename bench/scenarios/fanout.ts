// Scenario 1 (and the measuring core of 4): N subscribers on one channel, one publisher,
// offered at climbing rates until delivery falls behind.
import { ServerProcess, connectSpread, serversFor, sleep, type GeneratorMark, type GeneratorPool, type GeneratorProcess } from '../lib/fleet.js'
import { isSaturated, nextRate, pastSaturation, type PastSaturation } from '../lib/saturation.js'
import { cpuSample, cpuShare, percentiles, rssSample, type Percentiles } from '../lib/stats.js'
import type { SubjectName } from '../lib/wire.js'
import type { BenchOptions, FanoutSizes } from './options.js'

export interface Level {
  rate: number
  /** Deliveries/s the offered rate asks for (rate × subscribers). */
  offered: number
  /** Frames/s actually received by all subscribers in the window. */
  delivered: number
  published: number
  /** Publishes not sent because the publisher's own buffer was full (server not reading). */
  skipped: number
  publishFailed: number
  latency: Percentiles
  cpu: { servers: number[], generators: number[], publisher: number }
  /** Each server's RSS (bytes) at the start and at the end of the window, read from /proc. */
  rss: { start: number[], end: number[] }
  subscribersLost: number
  /** The window as each side saw it: far apart means a process was starved (busy machine). */
  windowMs: { orchestrator: number, generators: number[] }
}

export interface FanoutResult {
  subject: string
  subscribers: number
  generators: number
  levels: Level[]
  saturation: Level | null
  latency: Level | null
  /** Delivered at twice the first saturating rate against the peak (issue 21). */
  pastSaturation?: PastSaturation | null
  error?: string
}

/** Sampling every 2^k-th frame so a window yields about `target` latency samples per generator. */
function sampleEvery (deliveriesPerGenerator: number, target = 10_000): number {
  let every = 1
  while (deliveriesPerGenerator / every > target) every *= 2
  return every
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0)

async function markAll (generators: GeneratorProcess[], every: number): Promise<GeneratorMark[]> {
  return Promise.all(generators.map((g) => g.mark(every)))
}

/** Waits (bounded) until no more frames arrive, so a backlog does not spill into the next level. */
async function drain (generators: GeneratorProcess[], limitMs: number): Promise<void> {
  let last = -1
  const deadline = performance.now() + limitMs
  while (performance.now() < deadline) {
    const total = sum((await markAll(generators, 1 << 20)).map((m) => m.received))
    if (total === last) return
    last = total
    await sleep(150)
  }
}

export interface FanoutSetup {
  subject: SubjectName
  label: string
  servers: ServerProcess[]
  /** Port for each generator's subscribers (generator i uses ports[i % length]). */
  subscriberPorts: number[]
  publishPort: number
  sizes: FanoutSizes
  pool: GeneratorPool
  log: (line: string) => void
}

/** Runs the rate ladder against servers already started; the caller stops the servers. */
export async function measureFanout (setup: FanoutSetup): Promise<FanoutResult> {
  const { sizes, subject } = setup
  const result: FanoutResult = { subject: setup.label, subscribers: sizes.subscribers, generators: setup.pool.subscribers.length, levels: [], saturation: null, latency: null }
  try {
    await setup.pool.reset()
    const { subscribers: generators, publisher } = setup.pool
    await connectSpread(generators, subject, setup.subscriberPorts, sizes.subscribers, 50, 11)
    await publisher.openPublisher(subject, setup.publishPort)
    // Up the ladder until a level saturates, then the level at twice that rate (lib/saturation.ts).
    for (let rate = nextRate(sizes.rates, result.levels); rate !== null; rate = nextRate(sizes.rates, result.levels)) {
      const every = sampleEvery((rate * sizes.subscribers / generators.length) * (sizes.windowMs / 1000))
      const publishing = publisher.publish(rate, sizes.warmMs + sizes.windowMs + 100)
      publishing.catch(() => {}) // awaited below; a failure in between must not go unhandled
      await sleep(sizes.warmMs)
      // The window is timed by the generators' marks; CPU is read from /proc at the same
      // moments, so a saturated server that would answer IPC late cannot skew it.
      const serverPids = setup.servers.map((s) => s.child.process.pid)
      const pids = [...serverPids, ...generators.map((g) => g.child.process.pid), publisher.child.process.pid]
      const before = await markAll(generators, every)
      const cpuBefore = pids.map(cpuSample)
      const rssStart = serverPids.map(rssSample)
      const windowStart = performance.now()
      await sleep(sizes.windowMs)
      const after = await markAll(generators, every)
      const cpuAfter = pids.map(cpuSample)
      const rssEnd = serverPids.map(rssSample)
      const windowEnd = performance.now()
      const published = await publishing
      const cpu = cpuBefore.map((b, i) => cpuShare(b, cpuAfter[i]))
      const delivered = sum(after.map((m, i) => (m.received - before[i].received) / ((m.at - before[i].at) / 1000)))
      const level: Level = {
        rate,
        offered: rate * sizes.subscribers,
        delivered,
        published: published.sent,
        skipped: published.skipped,
        publishFailed: published.failed,
        latency: percentiles(after.flatMap((m) => m.samples)),
        cpu: {
          servers: cpu.slice(0, setup.servers.length),
          generators: cpu.slice(setup.servers.length, -1),
          publisher: cpu[cpu.length - 1],
        },
        rss: { start: rssStart, end: rssEnd },
        subscribersLost: sum(after.map((m) => m.dropped)),
        windowMs: { orchestrator: windowEnd - windowStart, generators: after.map((m, i) => m.at - before[i].at) },
      }
      result.levels.push(level)
      setup.log(`  ${setup.label} @${rate}/s: ${Math.round(delivered)} frames/s of ${level.offered}, p99 ${level.latency.p99.toFixed(1)} ms, cpu server ${level.cpu.servers.map((c) => c.toFixed(0)).join('+')}% gen ${level.cpu.generators.map((c) => c.toFixed(0)).join('/')}% pub ${level.cpu.publisher.toFixed(0)}%, server RSS ${rssEnd.map((r) => (r / 2 ** 20).toFixed(0)).join('+')} MiB`)
      if (level.cpu.generators.some((c) => c >= 90)) setup.log(`  ${setup.label} @${rate}/s: a generator was near 100% CPU — it may be the limit here (try --generators 3)`)
      if (level.published === 0 && level.delivered === 0) throw new Error(`${setup.label}: nothing published or delivered at ${rate}/s`)
      if (level.publishFailed > 0) throw new Error(`${setup.label}: ${level.publishFailed} publishes refused at ${rate}/s`)
      if (rate === sizes.latencyRate) result.latency = level
      if (isSaturated(level)) setup.log(`  ${setup.label} @${rate}/s: saturated`)
      await drain(generators, 5000)
    }
    result.saturation = result.levels.reduce<Level | null>((best, l) => (best && best.delivered >= l.delivered ? best : l), null)
    result.pastSaturation = pastSaturation(result.levels)
    if (!result.saturation || result.saturation.delivered <= 0) throw new Error(`${setup.label}: no frame delivered`)
  } catch (err) {
    result.error = (err as Error).message
    setup.log(`  ${setup.label}: FAILED ${result.error}`)
  } finally {
    await setup.pool.reset().catch(() => {})
  }
  return result
}

export async function runFanout (subjects: SubjectName[], options: BenchOptions, pool: GeneratorPool, log: (line: string) => void): Promise<FanoutResult[]> {
  const results: FanoutResult[] = []
  const servers = serversFor(subjects, options.smoke)
  for (const [index, subject] of subjects.entries()) {
    let server: ServerProcess | undefined
    try {
      server = await servers[index]()
      results.push(await measureFanout({
        subject, label: subject, servers: [server], subscriberPorts: [server.port], publishPort: server.port,
        sizes: options.fanout, pool, log,
      }))
    } catch (err) {
      log(`  ${subject}: FAILED ${(err as Error).message}`)
      results.push({ subject, subscribers: options.fanout.subscribers, generators: pool.subscribers.length, levels: [], saturation: null, latency: null, error: (err as Error).message })
    } finally {
      await server?.stop()
    }
  }
  return results
}
