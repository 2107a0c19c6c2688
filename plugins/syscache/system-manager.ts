import os from 'node:os'

/**
 * The one built-in class, `sysadm/systemmanager` (spec §1.4 #10, §1.10's smoke-test target),
 * read-only, from the host's real figures, so the protocol answers something with no backend.
 * Output shapes follow upstream's: the action name keys the result.
 */

const MB = 1024 * 1024

interface CpuSample { idle: number, total: number }

function sampleCpus (): CpuSample[] {
  return os.cpus().map(({ times }) => ({ idle: times.idle, total: times.user + times.nice + times.sys + times.idle + times.irq }))
}

// Busy percentages are measured between two calls (the first call: since boot).
let previous: CpuSample[] = []

function busyPercent (now: CpuSample, before: CpuSample | undefined): number {
  const total = now.total - (before?.total ?? 0)
  const idle = now.idle - (before?.idle ?? 0)
  return total > 0 ? Math.round(((total - idle) / total) * 1000) / 10 : 0
}

function cpuPercentage (): Record<string, unknown> {
  const now = sampleCpus()
  const result: Record<string, unknown> = {}
  let sum = 0
  now.forEach((sample, i) => {
    const busy = busyPercent(sample, previous[i])
    sum += busy
    result[`cpu${i}`] = { busy }
  })
  previous = now
  result.busytotal = now.length ? Math.round((sum / now.length) * 10) / 10 : 0
  return result
}

const actions: Record<string, () => Record<string, unknown>> = {
  memorystats: () => {
    const total = os.totalmem()
    const free = os.freemem()
    return { memorystats: { total: Math.round(total / MB), free: Math.round(free / MB), used: Math.round((total - free) / MB), unit: 'MB' } }
  },
  cpupercentage: () => ({ cpupercentage: cpuPercentage() }),
  procinfo: () => ({
    procinfo: {
      pid: process.pid,
      uptime: Math.round(process.uptime()),
      rss: Math.round(process.memoryUsage().rss / MB),
      loadavg: os.loadavg().map((l) => Math.round(l * 100) / 100),
      cpus: os.cpus().length,
    },
  }),
  systeminfo: () => ({
    systeminfo: {
      hostname: os.hostname(),
      os: os.type(),
      release: os.release(),
      arch: os.arch(),
      cpumodel: os.cpus()[0]?.model ?? 'unknown',
      totalmem: Math.round(os.totalmem() / MB),
      uptime: Math.round(os.uptime()),
    },
  }),
}

export const SYSTEM_MANAGER = 'sysadm/systemmanager'
export const systemManagerActions = Object.keys(actions)

/** The result of a built-in action, or undefined when the action is not built in. */
export function systemManager (action: string): Record<string, unknown> | undefined {
  return Object.hasOwn(actions, action) ? actions[action]() : undefined
}
