// Numbers every process reports about itself, and the arithmetic the report does on them.

export interface ProcessStats {
  pid: number
  /** Wall-clock ms (performance.timeOrigin + performance.now()), comparable across processes. */
  at: number
  rss: number
  heapUsed: number
  heapTotal: number
  external: number
  /** Microseconds of CPU (user + system) since the process started. */
  cpuMicros: number
}

export const now = (): number => performance.timeOrigin + performance.now()

export function processStats (): ProcessStats {
  const memory = process.memoryUsage()
  const cpu = process.cpuUsage()
  return {
    pid: process.pid,
    at: now(),
    rss: memory.rss,
    heapUsed: memory.heapUsed,
    heapTotal: memory.heapTotal,
    external: memory.external,
    cpuMicros: cpu.user + cpu.system,
  }
}

/** Share of one core used between two snapshots of the same process, in percent. */
export function cpuPercent (before: ProcessStats, after: ProcessStats): number {
  const wallMs = after.at - before.at
  return wallMs > 0 ? ((after.cpuMicros - before.cpuMicros) / 1000 / wallMs) * 100 : 0
}

/** Runs the collector a few times so heap figures are live objects, not garbage. */
export function collectGarbage (): void {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc) for (let i = 0; i < 3; i++) gc()
}

export interface Percentiles { count: number, p50: number, p99: number, max: number }

/** p50/p99/max of latency samples (ms); NaN when there is none. */
export function percentiles (samples: number[]): Percentiles {
  if (samples.length === 0) return { count: 0, p50: NaN, p99: NaN, max: NaN }
  const sorted = Float64Array.from(samples).sort()
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]
  return { count: sorted.length, p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1] }
}
