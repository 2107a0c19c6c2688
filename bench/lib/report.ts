// The stdout table and the targets of issue 8, all ratios from the same run.
import type { ClusterResult } from '../scenarios/cluster.js'
import type { ConnrateResult, MemoryResult } from '../scenarios/connections.js'
import type { FanoutResult } from '../scenarios/fanout.js'

export interface Results {
  fanout?: FanoutResult[]
  memory?: MemoryResult[]
  connrate?: ConnrateResult[]
  cluster?: ClusterResult
}

export interface Target {
  name: string
  value: number
  limit: number
  /** `min`: value must be ≥ limit; `max`: ≤ limit. */
  kind: 'min' | 'max'
  unit: string
  verdict: 'PASS' | 'MISS' | 'n/a'
}

export const SWITCHBOARD = new Set(['webrocket', 'telegraphy', 'syscache'])

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

export function fanoutTable (results: FanoutResult[]): string {
  return table(
    ['subject', 'sat. frames/s', 'at pub/s', 'server CPU%', 'gen CPU% (each)', 'pub CPU%', 'p50 ms', 'p99 ms', 'max ms', 'lost subs'],
    results.map((r) => {
      if (r.error || !r.saturation) return { subject: r.subject, failed: r.error ?? 'no result' }
      const s = r.saturation
      const l = r.latency
      return [r.subject, fmt(s.delivered), fmt(s.rate), s.cpu.servers.map((c) => fmt(c)).join('+'), s.cpu.generators.map((c) => fmt(c)).join('/'), fmt(s.cpu.publisher),
        fmt(l?.latency.p50, 1), fmt(l?.latency.p99, 1), fmt(l?.latency.max, 1), fmt(Math.max(...r.levels.map((x) => x.subscribersLost)))]
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

export function connrateTable (results: ConnrateResult[]): string {
  return table(
    ['subject', 'connections', 'conn/s', 'server CPU%', 'gen CPU% (each)'],
    results.map((r) => r.error
      ? { subject: r.subject, failed: r.error }
      : [r.subject, fmt(r.connections), fmt(r.perSecond), fmt(r.cpu?.server), (r.cpu?.generators ?? []).map((c) => fmt(c)).join('/')]),
  )
}

export function clusterTable (result: ClusterResult): string {
  const row = (label: string, r: FanoutResult) => r.error || !r.saturation
    ? { subject: label, failed: r.error ?? 'no result' }
    : [label, fmt(r.saturation.delivered), fmt(r.saturation.rate), r.saturation.cpu.servers.map((c) => fmt(c)).join('+'), fmt(r.latency?.rate), fmt(r.latency?.latency.p50, 1), fmt(r.latency?.latency.p99, 1), fmt(r.latency?.latency.max, 1)]
  return table(['setup', 'sat. frames/s', 'at pub/s', 'server CPU%', 'latency at pub/s', 'p50 ms', 'p99 ms', 'max ms'],
    [row('1 process', result.single), row('2 nodes + Redis', result.cluster)])
}

function target (name: string, value: number | undefined, limit: number, kind: Target['kind'], unit: string): Target {
  const known = value !== undefined && Number.isFinite(value)
  const verdict = !known ? 'n/a' : (kind === 'min' ? value >= limit : value <= limit) ? 'PASS' : 'MISS'
  return { name, value: known ? value : NaN, limit, kind, unit, verdict }
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
    const sat = (name: string) => results.fanout?.find((r) => r.subject === name && !r.error)?.saturation?.delivered
    const webrocket = results.fanout.find((r) => r.subject === 'webrocket' && !r.error)
    out.push(target('fan-out: WebRocket / socket.io frames/s', ratio(sat('webrocket'), sat('socketio')), 2.5, 'min', '×'))
    out.push(target('fan-out: WebRocket / plain ws frames/s', ratio(sat('webrocket'), sat('ws')), 2.5, 'min', '×'))
    out.push(target(`fan-out: WebRocket p99 at ${fmt(webrocket?.latency?.offered)} deliveries/s`, webrocket?.latency?.latency.p99, 100, 'max', 'ms'))
    // Issue 16: authorization must not slow fan-out.
    const fan = (name: string) => results.fanout?.find((r) => r.subject === name)
    out.push(target('fan-out at WebRocket\'s capacity: with access rules / without', atCapacityRatio(fan('webrocket-rules'), fan('webrocket')), 0.95, 'min', '×'))
    // Issue 17: metrics (on by default, so plain `webrocket` has them) must not slow fan-out.
    out.push(target('fan-out at capacity: WebRocket with metrics / without', atCapacityRatio(fan('webrocket'), fan('webrocket-nometrics')), 0.95, 'min', '×'))
  }
  if (results.memory) {
    const ws = results.memory.find((r) => r.subject === 'ws' && !r.error)?.rssPerConnection
    for (const r of results.memory.filter((m) => SWITCHBOARD.has(m.subject))) {
      out.push(target(`idle memory: ${r.subject} / plain ws RSS per connection`, r.error ? undefined : ratio(r.rssPerConnection, ws), 1.3, 'max', '×'))
    }
  }
  if (results.connrate) {
    const ws = results.connrate.find((r) => r.subject === 'ws' && !r.error)
    const rounds = (ws?.rounds?.length ?? 0) > 1 ? ' (median of per-round ratios)' : ''
    for (const r of results.connrate.filter((c) => SWITCHBOARD.has(c.subject))) {
      out.push(target(`connection rate: ${r.subject} / plain ws${rounds}`, r.error ? undefined : pairedRatio(r, ws), 0.8, 'min', '×'))
    }
  }
  if (results.cluster) {
    const c = results.cluster
    out.push(target('cluster: 2 nodes / 1 process frames/s', ratio(c.cluster.saturation?.delivered, c.single.saturation?.delivered), 0.5, 'min', '×'))
    out.push(target(`cluster: p99 at ${fmt(c.cluster.latency?.offered)} deliveries/s`, c.cluster.latency?.latency.p99, 150, 'max', 'ms'))
  }
  return out
}

export function targetsTable (list: Target[]): string {
  return table(['target', 'measured', 'needed', 'verdict'],
    list.map((t) => [t.name, `${fmt(t.value, 2)} ${t.unit}`, `${t.kind === 'min' ? '≥' : '≤'} ${t.limit} ${t.unit}`, t.verdict]))
}
