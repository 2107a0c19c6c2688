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
  rssPerConnection?: number
  heapPerConnection?: number
  error?: string
}

export interface ConnrateResult {
  subject: string
  connections: number
  perSecond?: number
  cpu?: { server: number, generators: number[] }
  error?: string
}

const MiB = 2 ** 20

export async function runConnections (
  subjects: SubjectName[], options: BenchOptions, pool: GeneratorPool, want: { memory: boolean, rate: boolean }, log: (line: string) => void,
): Promise<{ memory?: MemoryResult[], connrate?: ConnrateResult[] }> {
  const connections = want.memory ? options.memory.connections : options.connrate.connections
  const concurrency = want.memory ? options.memory.concurrency : options.connrate.concurrency
  const memory: MemoryResult[] = []
  const connrate: ConnrateResult[] = []
  const servers = serversFor(subjects, options.smoke)
  await warmGenerators(pool, options, connections, concurrency, log)
  for (const [index, subject] of subjects.entries()) {
    const mem: MemoryResult = { subject, connections }
    const rate: ConnrateResult = { subject, connections }
    let server: ServerProcess | undefined
    try {
      [server] = await Promise.all([servers[index](), pool.reset()])
      const generators = pool.subscribers
      await warmUp(generators[0], subject, server.port)
      await sleep(options.smoke ? 50 : 1000)
      const settled = want.memory ? await server.settledStats() : undefined
      const pids = [server.child.process.pid, ...generators.map((g) => g.child.process.pid)]
      const cpuBefore = pids.map(cpuSample)
      const { ms } = await connectSpread(generators, subject, [server.port], connections, concurrency, 1000 + index * 50)
      const cpu = pids.map(cpuSample).map((after, i) => cpuShare(cpuBefore[i], after))
      rate.perSecond = connections / (ms / 1000)
      rate.cpu = { server: cpu[0], generators: cpu.slice(1) }
      log(`  ${subject}: ${connections} connections opened, authenticated, subscribed in ${ms.toFixed(0)} ms = ${rate.perSecond.toFixed(0)}/s, cpu server ${rate.cpu.server.toFixed(0)}% gen ${rate.cpu.generators.map((c) => c.toFixed(0)).join('/')}%`)
      if (settled) {
        await sleep(options.smoke ? 100 : 2000)
        const after = await server.settledStats()
        if (after.connections < connections) throw new Error(`server holds ${after.connections} of ${connections} connections`)
        const rssPerConnection = (after.rss - settled.rss) / connections
        const heapPerConnection = (after.heapUsed - settled.heapUsed) / connections
        Object.assign(mem, { rssBefore: settled.rss, rssAfter: after.rss, rssPerConnection, heapPerConnection })
        log(`  ${subject}: idle, RSS ${(settled.rss / MiB).toFixed(0)} → ${(after.rss / MiB).toFixed(0)} MiB = ${(rssPerConnection / 1024).toFixed(1)} KiB RSS, ${(heapPerConnection / 1024).toFixed(1)} KiB heap per connection`)
      }
    } catch (err) {
      mem.error = rate.error = (err as Error).message
      log(`  ${subject}: FAILED ${mem.error}`)
    } finally {
      await server?.stop()
    }
    memory.push(mem)
    connrate.push(rate)
  }
  return { ...(want.memory ? { memory } : {}), ...(want.rate ? { connrate } : {}) }
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
