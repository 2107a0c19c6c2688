// The stdout tables and the targets (issues 8, 16, 17, 21), all ratios from the same run.
import type { ClusterResult } from '../scenarios/cluster.js'
import type { ConnrateResult, MemoryResult } from '../scenarios/connections.js'
import type { FanoutResult } from '../scenarios/fanout.js'

export interface Results {
  /** Subjects this machine cannot run (uWebSockets.js without its binary), with the reason. */
  skipped?: Array<{ subject: string, reason: string }>
  fanout?: FanoutResult[]
  memory?: MemoryResult[]
  connrate?: ConnrateResult[]
  cluster?: ClusterResult
}

export interface Target {
  /** The issue that set it. */
  issue: number
  name: string
  value: number
  limit: number
  /** `min`: value must be ≥ limit; `max`: ≤ limit. */
  kind: 'min' | 'max'
  unit: string
  verdict: 'PASS' | 'MISS' | 'n/a'
}

export const SWITCHBOARD = new Set(['webrocket', 'telegraphy', 'syscache', 'das'])

/** Issue 21's latency point: 400 publishes/s, 400k deliveries/s with 1000 subscribers. */
export const LATENCY_RATE_21 = 400

const fmt = (n: number | undefined, digits = 0) => n === undefined || !Number.isFinite(n) ? '—' : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
const kib = (bytes: number | undefined) => bytes === undefined ? '—' : fmt(bytes / 1024, 1)

/**
 * A plain-text table with right-aligned numbers. A row given as `{ failed }` shows FAILED in
 * its cells and its reason under the table.
 */
export function table (header: string[], rows: Array<string[] | { subject: string, failed: string }>): string {
  const cells = rows.map((r) => Array.isArray(r) ? r : [r.subject, ...header.slice(1).map((_, i) => i === 0 ? 'FAILED' : '—')])
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)))
  const line = (row: string[]) => row.map((c, i) => i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i])).join('  ')
  const notes = rows.flatMap((r) => Array.isArray(r) ? [] : [`  ${r.subject}: ${r.failed}`])
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line), ...notes].join('\n')
}

const MiB = (bytes: number | undefined) => bytes === undefined ? '—' : fmt(bytes / 2 ** 20)

export function fanoutTable (results: FanoutResult[]): string {
  return table(
    ['subject', 'sat. frames/s', 'at pub/s', 'server CPU%', 'gen CPU% (each)', 'pub CPU%', 'p50 ms', 'p99 ms', 'max ms', `p99 ms @${LATENCY_RATE_21}/s`, 'lost subs'],
    results.map((r) => {
      if (r.error || !r.saturation) return { subject: r.subject, failed: r.error ?? 'no result' }
      const s = r.saturation
      const l = r.latency
      return [r.subject, fmt(s.delivered), fmt(s.rate), s.cpu.servers.map((c) => fmt(c)).join('+'), s.cpu.generators.map((c) => fmt(c)).join('/'), fmt(s.cpu.publisher),
        fmt(l?.latency.p50, 1), fmt(l?.latency.p99, 1), fmt(l?.latency.max, 1), fmt(levelAt(r, LATENCY_RATE_21)?.latency.p99, 1), fmt(Math.max(...r.levels.map((x) => x.subscribersLost)))]
    }),
  )
}

const levelAt = (r: FanoutResult | undefined, rate: number) => r?.levels.find((l) => l.rate === rate)

/**
 * Issue 21: each subject at twice the offered rate that first saturated it, against its peak,
 * with the server's RSS there and its growth over that window (a queue growing without bound
 * shows as RSS climbing), and the CPU of every process so a reader sees which one was the limit.
 */
export function pastSaturationTable (results: FanoutResult[]): string {
  return table(
    ['subject', 'saturates at pub/s', 'peak frames/s', 'at pub/s', 'frames/s', '/ peak', 'server RSS MiB', 'RSS growth MiB', 'server CPU%', 'gen CPU% (each)', 'pub CPU%'],
    results.filter((r) => !r.error).map((r) => {
      const p = r.pastSaturation
      if (!p) {
        const top = r.levels[r.levels.length - 1]
        return [r.subject, top ? `> ${fmt(top.rate)}` : '—', fmt(r.saturation?.delivered), '—', '—', '—', '—', '—', '—', '—', '—']
      }
      const l = levelAt(r, p.rate)!
      return [r.subject, fmt(p.saturatingRate), fmt(p.peak), fmt(p.rate), fmt(p.delivered), fmt(p.ratio, 2), MiB(p.rss), MiB(p.rssGrowth),
        l.cpu.servers.map((c) => fmt(c)).join('+'), l.cpu.generators.map((c) => fmt(c)).join('/'), fmt(l.cpu.publisher)]
    }),
  )
}

export function memoryTable (results: MemoryResult[]): string {
  return table(
    ['subject', 'connections', 'RSS before MiB', 'RSS after MiB', 'RSS/conn KiB', 'heap/conn KiB'],
    results.map((r) => r.error
      ? { subject: r.subject, failed: r.error }
      : [r.subject, fmt(r.connections), fmt((r.rssBefore ?? 0) / 2 ** 20), fmt((r.rssAfter ?? 0) / 2 ** 20), kib(r.rssPerConnection), kib(r.heapPerConnection)]),
  )
}

/**
 * The server's CPU time per connection opened (µs), from the pass's CPU share and rate: unlike
 * the rate, it does not depend on how the two cores were shared with the generators, so it says
 * what a connection costs the server itself.
 */
export function serverMicrosPerConnection (r: ConnrateResult): number | undefined {
  if (r.cpu === undefined || r.perSecond === undefined || !(r.perSecond > 0)) return undefined
  return (r.cpu.server / 100) / r.perSecond * 1e6
}

export function connrateTable (results: ConnrateResult[]): string {
  return table(
    ['subject', 'connections', 'conn/s', 'server CPU%', 'server CPU µs/conn', 'gen CPU% (each)'],
    results.map((r) => r.error
      ? { subject: r.subject, failed: r.error }
      : [r.subject, fmt(r.connections), fmt(r.perSecond), fmt(r.cpu?.server), fmt(serverMicrosPerConnection(r)), (r.cpu?.generators ?? []).map((c) => fmt(c)).join('/')]),
  )
}

export function clusterTable (result: ClusterResult): string {
  const row = (label: string, r: FanoutResult) => r.error || !r.saturation
    ? { subject: label, failed: r.error ?? 'no result' }
    : [label, fmt(r.saturation.delivered), fmt(r.saturation.rate), r.saturation.cpu.servers.map((c) => fmt(c)).join('+'), fmt(r.latency?.rate), fmt(r.latency?.latency.p50, 1), fmt(r.latency?.latency.p99, 1), fmt(r.latency?.latency.max, 1)]
  return table(['setup', 'sat. frames/s', 'at pub/s', 'server CPU%', 'latency at pub/s', 'p50 ms', 'p99 ms', 'max ms'],
    [row('1 process', result.single), row('2 nodes + Redis', result.cluster)])
}

function target (issue: number, name: string, value: number | undefined, limit: number, kind: Target['kind'], unit: string): Target {
  const known = value !== undefined && Number.isFinite(value)
  const verdict = !known ? 'n/a' : (kind === 'min' ? value >= limit : value <= limit) ? 'PASS' : 'MISS'
  return { issue, name, value: known ? value : NaN, limit, kind, unit, verdict }
}

// A baseline at or below zero (noise in tiny smoke runs) gives no ratio rather than a nonsense one.
const ratio = (a: number | undefined, b: number | undefined) => a !== undefined && b !== undefined && b > 0 ? a / b : undefined

/**
 * A variant of a fan-out subject (with rules, without metrics) against the subject, at the
 * highest offered rate the subject kept up with (≥ 85 % delivered): how much of that the variant
 * delivered. Not the two peaks: past saturation WebRocket collapses (issue 21), so whether a
 * subject's peak is its last sustained level or a lucky level above it is noise (one run gave the
 * same build 399k and 662k), while a variant that costs more falls behind at the subject's own
 * capacity.
 */
export function atCapacityRatio (variant: FanoutResult | undefined, subject: FanoutResult | undefined): number | undefined {
  if (!variant || !subject || variant.error || subject.error) return undefined
  const kept = subject.levels.filter((l) => l.delivered >= 0.85 * l.offered)
  const level = kept[kept.length - 1]
  if (!level) return undefined
  return ratio(variant.levels.find((l) => l.rate === level.rate)?.delivered, level.delivered)
}

/**
 * A subject against the baseline, round by round: the two passes of a round ran half a minute
 * apart, while the box's speed drifted far more across the run (the ws baseline alone ranged
 * over ±15 % between rounds), so the ratio within a round cancels that drift. The median of those
 * ratios; one round (or a failed one) falls back to the ratio of the reported rates.
 */
export function pairedRatio (subject: ConnrateResult, baseline: ConnrateResult | undefined): number | undefined {
  const a = subject.rounds ?? []
  const b = baseline?.rounds ?? []
  if (a.length < 2 || a.length !== b.length) return ratio(subject.perSecond, baseline?.perSecond)
  const ratios = a.map((x, i) => x / b[i]).sort((x, y) => x - y)
  return ratios[Math.floor((ratios.length - 1) / 2)]
}

export function targets (results: Results): Target[] {
  const out: Target[] = []
  if (results.fanout) {
    const fan = (name: string) => results.fanout?.find((r) => r.subject === name)
    const sat = (name: string) => results.fanout?.find((r) => r.subject === name && !r.error)?.saturation?.delivered
    const webrocket = results.fanout.find((r) => r.subject === 'webrocket' && !r.error)
    out.push(target(8, 'fan-out: WebRocket / socket.io frames/s', ratio(sat('webrocket'), sat('socketio')), 2.5, 'min', '×'))
    out.push(target(8, 'fan-out: WebRocket / plain ws frames/s', ratio(sat('webrocket'), sat('ws')), 2.5, 'min', '×'))
    out.push(target(8, `fan-out: WebRocket p99 at ${fmt(webrocket?.latency?.offered)} deliveries/s`, webrocket?.latency?.latency.p99, 100, 'max', 'ms'))
    // Issue 16: authorization must not slow fan-out.
    out.push(target(16, 'fan-out at WebRocket\'s capacity: with access rules / without', atCapacityRatio(fan('webrocket-rules'), fan('webrocket')), 0.95, 'min', '×'))
    // Issue 17: metrics (on by default, so plain `webrocket` has them) must not slow fan-out.
    out.push(target(17, 'fan-out at capacity: WebRocket with metrics / without', atCapacityRatio(fan('webrocket'), fan('webrocket-nometrics')), 0.95, 'min', '×'))
    // Issue 21: within reach of uWebSockets.js, no collapse past saturation, DAS beside socket.io.
    const telegraphy = ratio(sat('telegraphy'), sat('uws'))
    out.push(target(21, `fan-out at saturation: WebRocket / uWebSockets.js frames/s (Telegraphy ${fmt(telegraphy, 2)}×)`, ratio(sat('webrocket'), sat('uws')), 0.8, 'min', '×'))
    for (const r of results.fanout.filter((f) => SWITCHBOARD.has(f.subject) && !f.error)) {
      const p = r.pastSaturation
      const rss = p ? `, server RSS ${MiB(p.rss)} MiB, ${p.rssGrowth >= 0 ? '+' : ''}${MiB(p.rssGrowth)} over the window` : ''
      out.push(target(21, `past saturation: ${r.subject} at 2× its saturating rate / peak${rss}`, p?.ratio, 0.9, 'min', '×'))
    }
    const at400 = levelAt(webrocket, LATENCY_RATE_21)
    out.push(target(21, `fan-out: WebRocket p99 at ${fmt(at400?.offered)} deliveries/s`, at400?.latency.p99, 50, 'max', 'ms'))
    // Beside it, the same deliveries to clients that do not acknowledge: what §5.5's acks cost.
    const unacked = ratio(sat('das-unacked'), sat('socketio'))
    const withoutAcks = unacked === undefined ? '' : ` (unacknowledged ${fmt(unacked, 2)}×)`
    out.push(target(21, `fan-out: DAS subject_update / socket.io room broadcast frames/s${withoutAcks}`, ratio(sat('das'), sat('socketio')), 2, 'min', '×'))
  }
  if (results.memory) {
    const ws = results.memory.find((r) => r.subject === 'ws' && !r.error)?.rssPerConnection
    for (const [issue, limit] of [[8, 1.3], [21, 0.7]]) {
      for (const r of results.memory.filter((m) => SWITCHBOARD.has(m.subject))) {
        out.push(target(issue, `idle memory: ${r.subject} / plain ws RSS per connection`, r.error ? undefined : ratio(r.rssPerConnection, ws), limit, 'max', '×'))
      }
    }
  }
  if (results.connrate) {
    const ws = results.connrate.find((r) => r.subject === 'ws' && !r.error)
    const rounds = (ws?.rounds?.length ?? 0) > 1 ? 'median of per-round ratios' : undefined
    // Beside issue 21's lines, plain ws's own server behind Fastify + @fastify/websocket: the part
    // of the gap that is the design's HTTP stack, not the protocol.
    const fastify = results.connrate.find((r) => r.subject === 'ws-fastify' && !r.error)
    const stack = fastify ? pairedRatio(fastify, ws) : undefined
    const behindFastify = stack === undefined ? undefined : `ws behind Fastify ${fmt(stack, 2)}×`
    for (const [issue, limit] of [[8, 0.8], [21, 0.9]]) {
      const notes = [rounds, issue === 21 ? behindFastify : undefined].filter((n) => n !== undefined)
      const said = notes.length > 0 ? ` (${notes.join('; ')})` : ''
      for (const r of results.connrate.filter((c) => SWITCHBOARD.has(c.subject))) {
        out.push(target(issue, `connection rate: ${r.subject} / plain ws${said}`, r.error ? undefined : pairedRatio(r, ws), limit, 'min', '×'))
      }
    }
  }
  if (results.cluster) {
    const c = results.cluster
    out.push(target(8, 'cluster: 2 nodes / 1 process frames/s', ratio(c.cluster.saturation?.delivered, c.single.saturation?.delivered), 0.5, 'min', '×'))
    out.push(target(8, `cluster: p99 at ${fmt(c.cluster.latency?.offered)} deliveries/s`, c.cluster.latency?.latency.p99, 150, 'max', 'ms'))
  }
  return out
}

export function targetsTable (list: Target[]): string {
  return table(['target', 'measured', 'needed', 'verdict', 'issue'],
    list.map((t) => [t.name, `${fmt(t.value, 2)} ${t.unit}`, `${t.kind === 'min' ? '≥' : '≤'} ${t.limit} ${t.unit}`, t.verdict, `#${t.issue}`]))
}
