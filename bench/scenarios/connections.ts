// Scenarios 2 and 3 in one pass per subject: open + authenticate + subscribe N connections as
// fast as possible (connections/s), then, with the N connections idle, the server's memory
// per connection after a full GC. Either half can be asked for alone.
import { connectSpread, serversFor, sleep, warmUp, type GeneratorPool, type ServerProcess } from '../lib/fleet.js'
import { cpuSample, cpuShare } from '../lib/stats.js'
import type { SubjectName } from '../lib/wire.js'
import type { BenchOptions } from './options.js'

export interface MemoryResult {
  subject: string
  connections: number
  rssBefore?: number
  rssAfter?: number
  /** The median pass's figures; `rounds` holds every pass's, in the order they ran. */
  rssPerConnection?: number
  heapPerConnection?: number
  rounds?: Array<{ rssPerConnection: number, heapPerConnection: number }>
  error?: string
}

export interface ConnrateResult {
  subject: string
  connections: number
  /** The median pass's rate and CPU; `rounds` holds every pass's rate, in the order they ran. */
  perSecond?: number
  cpu?: { server: number, generators: number[] }
  rounds?: number[]
  error?: string
}

interface Pass {
  perSecond: number
  cpu: { server: number, generators: number[] }
  memory?: { rssBefore: number, rssAfter: number, rssPerConnection: number, heapPerConnection: number }
}

const MiB = 2 ** 20

export async function runConnections (
  subjects: SubjectName[], options: BenchOptions, pool: GeneratorPool, want: { memory: boolean, rate: boolean }, log: (line: string) => void,
): Promise<{ memory?: MemoryResult[], connrate?: ConnrateResult[] }> {
  const connections = want.memory ? options.memory.connections : options.connrate.connections
  const concurrency = want.memory ? options.memory.concurrency : options.connrate.concurrency
  const passes = new Map<SubjectName, Pass[]>(subjects.map((s) => [s, []]))
  const errors = new Map<SubjectName, string>()
  await warmGenerators(pool, options, connections, concurrency, log)
  let passIndex = 0
  for (let round = 0; round < options.connectionRounds; round++) {
    if (options.connectionRounds > 1) log(`  round ${round + 1} of ${options.connectionRounds}`)
    // Each round starts with the next subject: none always pays for coming first.
    const order = subjects.map((_, i) => subjects[(i + round) % subjects.length])
    for (const subject of order) {
      if (errors.has(subject)) continue
      try {
        passes.get(subject)!.push(await onePass(subject, options, pool, connections, concurrency, want.memory, 1000 + passIndex++ * 50, log))
      } catch (err) {
        errors.set(subject, (err as Error).message)
        log(`  ${subject}: FAILED ${(err as Error).message}`)
      }
    }
  }
  const memory: MemoryResult[] = []
  const connrate: ConnrateResult[] = []
  for (const subject of subjects) {
    const done = passes.get(subject)!
    const error = errors.get(subject)
    const rate: ConnrateResult = { subject, connections }
    const mem: MemoryResult = { subject, connections }
    if (error) {
      rate.error = mem.error = error
    } else {
      const median = medianBy(done, (p) => p.perSecond)
      Object.assign(rate, { perSecond: median.perSecond, cpu: median.cpu, rounds: done.map((p) => p.perSecond) })
      if (want.memory) {
        const byRss = medianBy(done, (p) => p.memory!.rssPerConnection)
        Object.assign(mem, byRss.memory, { rounds: done.map((p) => ({ rssPerConnection: p.memory!.rssPerConnection, heapPerConnection: p.memory!.heapPerConnection })) })
      }
    }
    memory.push(mem)
    connrate.push(rate)
  }
  return { ...(want.memory ? { memory } : {}), ...(want.rate ? { connrate } : {}) }
}

/** The pass whose `key` is the median (the lower middle one for an even count). */
function medianBy (passes: Pass[], key: (p: Pass) => number): Pass {
  const sorted = [...passes].sort((a, b) => key(a) - key(b))
  return sorted[Math.floor((sorted.length - 1) / 2)]
}

/** One subject, one server process: the connection pass, then (when asked) its idle memory. */
async function onePass (
  subject: SubjectName, options: BenchOptions, pool: GeneratorPool, connections: number, concurrency: number, memory: boolean, addressBase: number, log: (line: string) => void,
): Promise<Pass> {
  let server: ServerProcess | undefined
  try {
    [server] = await Promise.all([serversFor([subject], options.smoke)[0](), pool.reset()])
    const generators = pool.subscribers
    await warmUp(generators[0], subject, server.port)
    await sleep(options.smoke ? 50 : 1000)
    const settled = memory ? await server.settledStats() : undefined
    const pids = [server.child.process.pid, ...generators.map((g) => g.child.process.pid)]
    const cpuBefore = pids.map(cpuSample)
    const { ms } = await connectSpread(generators, subject, [server.port], connections, concurrency, addressBase)
    const cpu = pids.map(cpuSample).map((after, i) => cpuShare(cpuBefore[i], after))
    const pass: Pass = { perSecond: connections / (ms / 1000), cpu: { server: cpu[0], generators: cpu.slice(1) } }
    log(`  ${subject}: ${connections} connections opened, authenticated, subscribed in ${ms.toFixed(0)} ms = ${pass.perSecond.toFixed(0)}/s, cpu server ${pass.cpu.server.toFixed(0)}% gen ${pass.cpu.generators.map((c) => c.toFixed(0)).join('/')}%`)
    if (settled) {
      await sleep(options.smoke ? 100 : 2000)
      const after = await server.settledStats()
      if (after.connections < connections) throw new Error(`server holds ${after.connections} of ${connections} connections`)
      const rssPerConnection = (after.rss - settled.rss) / connections
      const heapPerConnection = (after.heapUsed - settled.heapUsed) / connections
      pass.memory = { rssBefore: settled.rss, rssAfter: after.rss, rssPerConnection, heapPerConnection }
      log(`  ${subject}: idle, RSS ${(settled.rss / MiB).toFixed(0)} → ${(after.rss / MiB).toFixed(0)} MiB = ${(rssPerConnection / 1024).toFixed(1)} KiB RSS, ${(heapPerConnection / 1024).toFixed(1)} KiB heap per connection`)
    }
    return pass
  } finally {
    await server?.stop()
  }
}

/**
 * The generators hold `connections` sockets once, against a throwaway plain `ws` server, before
 * any pass is measured. Without it the first subject paid for the generators' JIT warm-up and
 * heap growth (measured: whichever subject came first lost 20–40 % of its rate).
 */
async function warmGenerators (pool: GeneratorPool, options: BenchOptions, connections: number, concurrency: number, log: (line: string) => void): Promise<void> {
  const [server] = await Promise.all([serversFor(['ws'], options.smoke)[0](), pool.reset()])
  try {
    const { ms } = await connectSpread(pool.subscribers, 'ws', [server.port], connections, concurrency, 1000)
    log(`  (generators warmed up: ${connections} connections to a throwaway ws server in ${ms.toFixed(0)} ms, not measured)`)
  } finally {
    await Promise.all([server.stop(), ...pool.subscribers.map((g) => g.closeAll())])
  }
}
