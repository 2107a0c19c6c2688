// `npm run bench`: Switchboard side by side with the baselines, in one run on this machine.
// Flags: --smoke (seconds-long, for CI), --scenario fanout|memory|connrate|cluster (repeatable
// or comma-separated), --subjects a,b, --generators N. See bench/README.md.
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, platform, release, totalmem } from 'node:os'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { killChildren } from './lib/ipc.js'
import { clusterTable, connrateTable, fanoutTable, memoryTable, pastSaturationTable, targets, targetsTable, type Results } from './lib/report.js'
import { SUBJECTS, WIRES, type SubjectName } from './lib/wire.js'
import { runCluster } from './scenarios/cluster.js'
import { runConnections } from './scenarios/connections.js'
import { runFanout } from './scenarios/fanout.js'
import { CONNECTION_SUBJECTS, FANOUT_SUBJECTS, sizes } from './scenarios/options.js'
import { unavailable } from './lib/availability.js'
import { GeneratorPool } from './lib/fleet.js'

const SCENARIOS = ['fanout', 'memory', 'connrate', 'cluster'] as const
type Scenario = typeof SCENARIOS[number]

const USAGE = `usage: npm run bench -- [--smoke] [--scenario ${SCENARIOS.join('|')}] [--subjects ${SUBJECTS.join(',')}] [--generators N]
  partial runs: [--subscribers N] [--rates 100,200,…] [--window MS] [--connections N] [--rounds N]`

function parse () {
  const { values } = parseArgs({
    options: {
      smoke: { type: 'boolean', default: false },
      scenario: { type: 'string', multiple: true },
      subjects: { type: 'string' },
      generators: { type: 'string' },
      subscribers: { type: 'string' },
      rates: { type: 'string' },
      window: { type: 'string' },
      connections: { type: 'string' },
      rounds: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  })
  if (values.help) {
    console.log(USAGE)
    process.exit(0)
  }
  const list = (value: string | string[] | undefined) => [value ?? []].flat().flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean)
  const scenarios = list(values.scenario)
  for (const s of scenarios) if (!SCENARIOS.includes(s as Scenario)) throw new Error(`unknown scenario ${s}\n${USAGE}`)
  const subjects = list(values.subjects)
  for (const s of subjects) if (!SUBJECTS.includes(s as SubjectName)) throw new Error(`unknown subject ${s}\n${USAGE}`)
  const generators = Number(values.generators ?? 2)
  if (!Number.isInteger(generators) || generators < 1 || generators > 8) throw new Error('--generators must be 1..8')
  const count = (name: string, value: string | undefined, max: number) => {
    if (value === undefined) return undefined
    const n = Number(value)
    if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`--${name} must be an integer 1..${max}`)
    return n
  }
  const rates = values.rates === undefined ? undefined : list(values.rates).map((r) => count('rates', r, 100_000) as number).sort((a, b) => a - b)
  return {
    smoke: values.smoke ?? false,
    subscribers: count('subscribers', values.subscribers, 5000),
    rates,
    windowMs: count('window', values.window, 60_000),
    connections: count('connections', values.connections, 18_000),
    rounds: count('rounds', values.rounds, 9),
    scenarios: (scenarios.length ? scenarios : [...SCENARIOS]) as Scenario[],
    subjects: subjects.length ? subjects as SubjectName[] : null,
    generators,
  }
}

function machine () {
  const list = cpus()
  return {
    cpus: list.length,
    cpuModel: list[0]?.model ?? 'unknown',
    memoryGiB: Number((totalmem() / 2 ** 30).toFixed(1)),
    node: process.version,
    platform: `${platform()} ${release()}`,
    loadAverageAtStart: loadavg().map((l) => Number(l.toFixed(2))),
  }
}

async function main (): Promise<number> {
  const args = parse()
  const startedAt = new Date()
  const runId = startedAt.toISOString().replace(/[:.]/g, '-')
  const options = sizes(args.smoke, runId, args.generators)
  // Partial runs: the same scenarios, smaller or shorter.
  for (const ladder of [options.fanout, options.cluster]) {
    if (args.subscribers) ladder.subscribers = args.subscribers
    if (args.windowMs) ladder.windowMs = args.windowMs
    if (args.rates) {
      ladder.rates = args.rates
      if (!args.rates.includes(ladder.latencyRate)) ladder.latencyRate = args.rates[0]
    }
  }
  if (args.connections) options.memory.connections = options.connrate.connections = args.connections
  if (args.rounds) options.connectionRounds = args.rounds
  // Subjects named on the command line run even outside a scenario's default list (syscache
  // fan-out through its REST door, say) when the scenario can drive them.
  const log = (line: string) => console.log(line)
  // A subject this machine cannot run (uWebSockets.js without a binary that loads) is skipped
  // with a line, not failed: the run, and CI's smoke run, go on without it.
  const skipped = new Map<SubjectName, string>()
  for (const subject of args.subjects ?? SUBJECTS) {
    const reason = unavailable(subject)
    if (reason) skipped.set(subject, reason)
  }
  const pick = (defaults: SubjectName[], can: (s: SubjectName) => boolean = () => true) => (args.subjects ? args.subjects.filter(can) : defaults).filter((s) => !skipped.has(s))
  const clock = performance.now()
  const elapsed = () => `${((performance.now() - clock) / 1000).toFixed(0)} s`
  const host = machine()
  log(`Switchboard bench ${args.smoke ? '(smoke) ' : ''}— ${host.cpus} × ${host.cpuModel}, ${host.memoryGiB} GiB, node ${host.node}, load ${host.loadAverageAtStart.join(' ')}`)

  const results: Results = {}
  if (skipped.size) results.skipped = [...skipped].map(([subject, reason]) => ({ subject, reason }))
  for (const [subject, reason] of skipped) log(`${subject}: skipped — ${reason}`)
  // Subscriber generators (at least two: the cluster puts one on each node) and one publisher.
  const pool = await GeneratorPool.start(Math.max(2, options.generators))
  try {
    if (args.scenarios.includes('fanout')) {
      log(`\n[fan-out] ${options.fanout.subscribers} subscribers over ${pool.subscribers.length} generator processes, one publisher process, 100-byte payloads (at ${elapsed()})`)
      results.fanout = await runFanout(pick(FANOUT_SUBJECTS, (s) => WIRES[s].publisher !== null), options, pool, log)
    }
    const want = { memory: args.scenarios.includes('memory'), rate: args.scenarios.includes('connrate') }
    if (want.memory || want.rate) {
      const n = want.memory ? options.memory : options.connrate
      log(`\n[${[want.rate ? 'connection rate' : '', want.memory ? 'idle memory' : ''].filter(Boolean).join(' + ')}] open + authenticate + subscribe ${n.connections} connections, ${n.concurrency} at a time per generator${want.memory ? ', then hold them idle' : ''} (at ${elapsed()})`)
      Object.assign(results, await runConnections(pick(CONNECTION_SUBJECTS), options, pool, want, log))
    }
    if (args.scenarios.includes('cluster') && (!args.subjects || args.subjects.includes('webrocket'))) {
      log(`\n[cluster] WebRocket, 2 nodes sharing Redis, ${options.cluster.subscribers} subscribers split across them, publisher on node A (at ${elapsed()})`)
      results.cluster = await runCluster(options, pool, results.fanout?.find((r) => r.subject === 'webrocket'), log)
    }
  } finally {
    await pool.stop()
  }

  log('')
  if (results.fanout) {
    log(`Fan-out (${options.fanout.subscribers} subscribers; saturation = best delivered rate; latency at ${options.fanout.latencyRate} publishes/s, sampled)\n${fanoutTable(results.fanout)}\n`)
    log(`Past saturation (the level at twice the first offered rate a subject did not keep up with; RSS at the end of its window)\n${pastSaturationTable(results.fanout)}\n`)
  }
  for (const { subject, reason } of results.skipped ?? []) log(`${subject}: skipped — ${reason}\n`)
  const rounds = options.connectionRounds > 1 ? `; median of ${options.connectionRounds} rounds` : ''
  if (results.memory) log(`Idle memory (${options.memory.connections} connections, after GC${rounds})\n${memoryTable(results.memory)}\n`)
  // Run together with `memory`, the rate comes from the memory pass (its connection count).
  if (results.connrate) log(`Connection rate (${results.connrate[0]?.connections ?? options.connrate.connections} connections${rounds})\n${connrateTable(results.connrate)}\n`)
  if (results.cluster) log(`Cluster (WebRocket, ${options.cluster.subscribers} subscribers; the 1-process row is scenario 1's when it ran)\n${clusterTable(results.cluster)}\n`)
  // A partial run (--subjects) leaves out the targets it has no figures for.
  const verdicts = targets(results).filter((t) => !args.subjects || t.verdict !== 'n/a')
  if (verdicts.length) log(`Targets (ratios from this run${args.smoke ? '; SMOKE sizes, far below saturation: the verdicts mean nothing' : ''})\n${targetsTable(verdicts)}\n`)

  const failures = [
    ...(results.fanout ?? []).filter((r) => r.error).map((r) => `fan-out ${r.subject}: ${r.error}`),
    ...(results.memory ?? []).filter((r) => r.error).map((r) => `memory ${r.subject}: ${r.error}`),
    ...(results.connrate ?? []).filter((r) => r.error).map((r) => `connection rate ${r.subject}: ${r.error}`),
    ...(results.cluster?.error ? [`cluster: ${results.cluster.error}`] : []),
  ]
  const dir = fileURLToPath(new URL('../../bench/results/', import.meta.url))
  mkdirSync(dir, { recursive: true })
  const file = `${dir}${runId}${args.smoke ? '-smoke' : ''}.json`
  writeFileSync(file, JSON.stringify({
    runId, startedAt: startedAt.toISOString(), finishedAt: new Date().toISOString(), smoke: args.smoke,
    argv: process.argv.slice(2), machine: host, sizes: options, results, targets: verdicts, failures,
  }, null, 2))
  log(`results: ${file} (run took ${elapsed()})`)
  for (const failure of failures) console.error(`FAILED ${failure}`)
  return failures.length ? 1 : 0
}

process.once('exit', killChildren)
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killChildren()
    process.exit(130)
  })
}
// A run that hangs is bounded too (every step has its own timeout; this is the backstop). The
// smoke takes 35–80 s on a quiet 2-core box with nine fan-out subjects: 4 minutes leaves room
// for a loaded CI machine without letting a hung run sit.
const watchdog = setTimeout(() => {
  console.error('bench: overall time limit reached')
  killChildren()
  process.exit(2)
}, process.argv.includes('--smoke') ? 4 * 60_000 : 30 * 60_000)
watchdog.unref()

main().then((code) => {
  killChildren()
  process.exit(code)
}, (err: unknown) => {
  console.error(err instanceof Error ? err.message : err)
  killChildren()
  process.exit(1)
})
