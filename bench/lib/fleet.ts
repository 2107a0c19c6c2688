// Starting and stopping the processes of one measurement: subject servers and generators.
import { fileURLToPath } from 'node:url'
import type { ServerOptions } from '../server.js'
import { Child } from './ipc.js'
import type { ProcessStats } from './stats.js'
import type { SubjectName } from './wire.js'
import { WIRES } from './wire.js'

const script = (name: string) => fileURLToPath(new URL(`../${name}`, import.meta.url))

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

export interface ServerStats extends ProcessStats { connections: number }
export interface GeneratorMark extends ProcessStats { received: number, subscribers: number, dropped: number, samples: number[] }
export interface ConnectResult { opened: number, failed: number, ms: number, firstError: string | null }

export class ServerProcess {
  private constructor (readonly child: Child, readonly port: number) {}

  static async start (label: string, subject: SubjectName, extra: Partial<ServerOptions> = {}): Promise<ServerProcess> {
    const { server: kind, variant } = WIRES[subject]
    const options: ServerOptions = { kind, variant, sendBufferLimit: 8 * 1024 * 1024, ...extra }
    const { child, info } = await Child.start(`server ${label}`, script('server.js'), [JSON.stringify(options)], {
      execArgv: ['--expose-gc', '--max-old-space-size=4096'],
    })
    return new ServerProcess(child, (info as { port: number }).port)
  }

  stats (): Promise<ServerStats> { return this.child.request('stats') }
  settledStats (): Promise<ServerStats> { return this.child.request('settledStats') }
  stop (): Promise<void> { return this.child.stop() }
}

/**
 * Servers for the subjects of a scenario, in order. `eager` (smoke runs, where figures do not
 * matter and start-up dominates) starts them all at once; otherwise each starts when asked for,
 * so no start-up competes with a measurement.
 */
export function serversFor (subjects: SubjectName[], eager: boolean): Array<() => Promise<ServerProcess>> {
  const start = (subject: SubjectName) => () => ServerProcess.start(subject, subject)
  if (!eager) return subjects.map(start)
  return subjects.map((subject) => {
    const started = start(subject)()
    started.catch(() => {})
    return () => started
  })
}

export class GeneratorProcess {
  private constructor (readonly child: Child, readonly index: number) {}

  static async start (index: number): Promise<GeneratorProcess> {
    const { child } = await Child.start(`generator ${index}`, script('generator.js'), [], { execArgv: ['--max-old-space-size=4096'] })
    return new GeneratorProcess(child, index)
  }

  connect (subject: SubjectName, port: number, count: number, concurrency: number, addressBase: number, timeoutMs = 300_000): Promise<ConnectResult> {
    return this.child.request('connect', { subject, port, count, concurrency, addressBase }, timeoutMs)
  }

  /** Fetches (and keeps) the subject's bearer token, when its wire needs one, outside any timing. */
  login (subject: SubjectName, port: number): Promise<boolean> { return this.child.request('login', { subject, port }, 30_000) }
  closeAll (): Promise<unknown> { return this.child.request('closeAll') }
  openPublisher (subject: SubjectName, port: number): Promise<unknown> { return this.child.request('openPublisher', { subject, port }, 30_000) }
  publish (rate: number, durationMs: number): Promise<{ sent: number, skipped: number, failed: number, ms: number }> {
    return this.child.request('publish', { rate, durationMs }, durationMs + 30_000)
  }

  mark (sampleEvery: number): Promise<GeneratorMark> { return this.child.request('mark', { sampleEvery }) }
  stats (): Promise<ProcessStats & { subscribers: number, dropped: number }> { return this.child.request('stats') }
  stop (): Promise<void> { return this.child.stop() }
}

/**
 * The load generators of the whole run: `subscribers` processes holding subscriber sockets and
 * one `publisher` process. Started once; between measurements every socket is closed, and a
 * generator that died is replaced.
 */
export class GeneratorPool {
  private constructor (public subscribers: GeneratorProcess[], public publisher: GeneratorProcess) {}

  static async start (count: number): Promise<GeneratorPool> {
    const all = await Promise.all(Array.from({ length: count + 1 }, (_, i) => GeneratorProcess.start(i)))
    return new GeneratorPool(all.slice(0, count), all[count])
  }

  /** Closes every socket the generators hold (restarting any that died); resolves when clean. */
  async reset (): Promise<void> {
    const fresh = async (g: GeneratorProcess) => {
      if (g.child.alive) {
        try {
          await g.closeAll()
          await g.child.request('closePublisher')
          return g
        } catch {
          g.child.kill()
        }
      }
      return GeneratorProcess.start(g.index)
    }
    this.subscribers = await Promise.all(this.subscribers.map(fresh))
    this.publisher = await fresh(this.publisher)
  }

  all (): GeneratorProcess[] { return [...this.subscribers, this.publisher] }
  stop (): Promise<void> { return stopAll(this.all()) }
}

/** Stops everything given, ignoring the ones that already died. */
export async function stopAll (processes: Array<{ stop (): Promise<void> } | undefined>): Promise<void> {
  await Promise.all(processes.map((p) => p?.stop().catch(() => {})))
}

/**
 * One full handshake, then closed: first-use costs (a credential's first scrypt verification,
 * JIT) stay out of the figures, as on a server that has been running for a while.
 */
export async function warmUp (generator: GeneratorProcess, subject: SubjectName, port: number): Promise<void> {
  const result = await generator.connect(subject, port, 1, 1, 250)
  if (result.failed) throw new Error(`${subject}: warm-up connection failed (${result.firstError})`)
  await generator.closeAll()
}

/** Connects `total` subscribers spread evenly over the generators; throws unless all made it. */
export async function connectSpread (generators: GeneratorProcess[], subject: SubjectName, ports: number[], total: number, concurrency: number, addressBase: number): Promise<{ ms: number, results: ConnectResult[] }> {
  // A DAS client logs in once, then connects: the login is not part of the connection rate.
  if (WIRES[subject].token) await Promise.all(generators.map((g, i) => g.login(subject, ports[i % ports.length])))
  const started = performance.now()
  const results = await Promise.all(generators.map((g, i) => {
    const count = Math.floor(total / generators.length) + (i < total % generators.length ? 1 : 0)
    return g.connect(subject, ports[i % ports.length], count, concurrency, addressBase + i * 997)
  }))
  const ms = performance.now() - started
  const failed = results.reduce((n, r) => n + r.failed, 0)
  if (failed > 0) {
    const error = results.find((r) => r.firstError)?.firstError
    throw new Error(`${subject}: ${failed} of ${total} connections failed (${error})`)
  }
  return { ms, results }
}
