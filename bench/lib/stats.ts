// Numbers every process reports about itself, and the arithmetic the report does on them.
import { readFileSync } from 'node:fs'

export interface ProcessStats {
  pid: number
  /** Wall-clock ms (performance.timeOrigin + performance.now()), comparable across processes. */
  at: number
  rss: number
  heapUsed: number
  heapTotal: number
  external: number
}

export const now = (): number => performance.timeOrigin + performance.now()

export function processStats (): ProcessStats {
  const memory = process.memoryUsage()
  return {
    pid: process.pid,
    at: now(),
    rss: memory.rss,
    heapUsed: memory.heapUsed,
    heapTotal: memory.heapTotal,
    external: memory.external,
  }
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

// ---- CPU of any process, read by the orchestrator from /proc (Linux) ----
// Read from outside, so a saturated server that answers IPC late cannot skew its own figure.

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on every mainstream Linux). */
const USER_HZ = 100

export interface CpuSample { at: number, micros: number }

/** utime + stime of `pid` now, or null where /proc is not available (then CPU shows as —). */
export function cpuSample (pid: number | undefined): CpuSample | null {
  if (pid === undefined) return null
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1')
    // Fields after the command name (which may hold spaces), from field 3 (state) on.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return { at: now(), micros: ((Number(fields[11]) + Number(fields[12])) * 1e6) / USER_HZ }
  } catch {
    return null
  }
}

/** Percent of one core between two samples of the same process (NaN if either is missing). */
export function cpuShare (before: CpuSample | null, after: CpuSample | null): number {
  if (!before || !after || after.at <= before.at) return NaN
  return ((after.micros - before.micros) / 1000 / (after.at - before.at)) * 100
}

/** Resident set size of `pid` in bytes, from /proc/<pid>/status (Linux), NaN elsewhere. */
export function rssSample (pid: number | undefined): number {
  if (pid === undefined) return NaN
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'))
    return match ? Number(match[1]) * 1024 : NaN
  } catch {
    return NaN
  }
}
