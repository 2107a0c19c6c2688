import t from 'tap'
import { atCapacityRatio, clusterTable, connrateTable, fanoutTable, memoryTable, pairedRatio, pastSaturationTable, serverMicrosPerConnection, targets, targetsTable, type Results } from '../../bench/lib/report.js'
import { pastSaturation } from '../../bench/lib/saturation.js'
import type { Level } from '../../bench/scenarios/fanout.js'

const level = (rate: number, delivered: number, p99: number): Level => ({
  rate, offered: rate * 1000, delivered, published: rate, skipped: 0, publishFailed: 0,
  latency: { count: 100, p50: p99 / 2, p99, max: p99 * 1.5 },
  cpu: { servers: [90], generators: [40, 40], publisher: 5 }, rss: { start: [100 * 2 ** 20], end: [110 * 2 ** 20] }, subscribersLost: 0,
  windowMs: { orchestrator: 3000, generators: [3000, 3000] },
})
const fanout = (subject: string, delivered: number, p99: number) => ({
  subject, subscribers: 1000, generators: 2, levels: [level(200, 200_000, p99), level(400, delivered, p99 * 2)], saturation: level(400, delivered, p99 * 2), latency: level(200, 200_000, p99),
})

t.test('connection-rate ratios are paired round by round, the median kept', async (t) => {
  const ws = { subject: 'ws', connections: 10, perSecond: 3000, rounds: [4000, 3000, 2000] }
  t.equal(pairedRatio({ subject: 's', connections: 10, perSecond: 2400, rounds: [3600, 2100, 1800] }, ws), 0.9, 'ratios 0.9, 0.7, 0.9: median 0.9')
  t.equal(pairedRatio({ subject: 's', connections: 10, perSecond: 2400, rounds: [2000, 3000] }, ws), 0.8, 'rounds that do not line up: ratio of the reported rates')
  t.equal(pairedRatio({ subject: 's', connections: 10, perSecond: 1500, rounds: [1500] }, { ...ws, rounds: [3000] }), 0.5, 'one round: ratio of the rates')
  t.equal(pairedRatio({ subject: 's', connections: 10, perSecond: 1500 }, undefined), undefined, 'no baseline, no ratio')
  t.equal(pairedRatio({ subject: 's', connections: 10, perSecond: 1500, rounds: [1, 2, 3, 4] }, { ...ws, rounds: [2, 2, 2, 2] }), 1, 'an even count takes the lower middle')
})

t.test('fan-out with metrics against without: at least 0.95×', async (t) => {
  const verdict = (nometrics: number) => targets({ fanout: [fanout('webrocket', 400_000, 40), fanout('webrocket-nometrics', nometrics, 40)] })
    .find((x) => x.name === 'fan-out at capacity: WebRocket with metrics / without')
  t.match(verdict(410_000), { value: 400_000 / 410_000, verdict: 'PASS' }, 'within 5 %')
  t.match(verdict(440_000), { value: 400_000 / 440_000, verdict: 'MISS' }, 'metrics cost 9 %')
})

t.test('a variant is compared at the subject\'s capacity, not peak against a noisy peak past saturation', async (t) => {
  const run = (subject: string, at400: number, at800: number) => ({ ...fanout(subject, at400, 40), levels: [level(200, 200_000, 40), level(400, at400, 40), level(800, at800, 900)] })
  const plain = run('webrocket', 400_000, 660_000) // 660k of 800k offered: past its capacity, a lucky level
  t.equal(atCapacityRatio(run('webrocket-rules', 399_000, 190_000), plain), 399_000 / 400_000, 'both collapse past 400/s: compared at 400/s')
  t.equal(atCapacityRatio(run('webrocket-rules', 300_000, 190_000), plain), 0.75, 'a variant that falls behind at the subject\'s capacity')
  t.equal(atCapacityRatio(run('webrocket-rules', 1, 1), { ...plain, levels: [level(200, 10, 40)] }), undefined, 'a subject that kept up with nothing')
  t.equal(atCapacityRatio(undefined, plain), undefined)
  t.match(targets({ fanout: [plain, run('webrocket-rules', 399_000, 190_000)] }).find((x) => x.name.includes('access rules')), { verdict: 'PASS' })
})

t.test('targets and tables from a whole run', async (t) => {
  const results: Results = {
    fanout: [fanout('webrocket', 400_000, 40), fanout('ws', 80_000, 2000), fanout('socketio', 70_000, 3000), { ...fanout('telegraphy', 0, 0), saturation: null, error: 'boom' }],
    memory: [
      { subject: 'webrocket', connections: 10, rssBefore: 2 ** 20, rssAfter: 2 ** 21, rssPerConnection: 4096, heapPerConnection: 3072 },
      { subject: 'ws', connections: 10, rssBefore: 2 ** 20, rssAfter: 2 ** 21, rssPerConnection: 6144, heapPerConnection: 3072 },
      { subject: 'syscache', connections: 10, error: 'server died' },
    ],
    connrate: [
      { subject: 'webrocket', connections: 10, perSecond: 2700, cpu: { server: 90, generators: [40, 41] }, rounds: [2700, 2600, 2800] },
      { subject: 'ws', connections: 10, perSecond: 3000, cpu: { server: 80, generators: [50, 50] }, rounds: [3000, 3000, 3000] },
      { subject: 'syscache', connections: 10, error: 'refused' },
    ],
    cluster: { nodes: 2, redisPrefix: 'x', single: fanout('webrocket', 400_000, 40), cluster: fanout('webrocket', 800_000, 50) },
  }
  const list = targets(results)
  const verdict = (name: string) => list.find((x) => x.name.startsWith(name))
  t.match(verdict('fan-out: WebRocket / socket.io'), { value: 400_000 / 70_000, verdict: 'PASS' })
  t.match(verdict('fan-out: WebRocket / plain ws'), { value: 5, verdict: 'PASS' })
  t.match(verdict('fan-out: WebRocket p99'), { value: 40, verdict: 'PASS' })
  t.match(verdict('idle memory: webrocket'), { verdict: 'PASS' })
  t.match(verdict('connection rate: webrocket / plain ws (median of per-round ratios)'), { value: 0.9, verdict: 'PASS' })
  t.match(verdict('connection rate: syscache'), { verdict: 'n/a' })
  t.match(verdict('cluster: 2 nodes'), { value: 2, verdict: 'PASS' })
  t.match(verdict('cluster: p99'), { value: 50, verdict: 'PASS' })
  t.match(verdict('fan-out at capacity: WebRocket with metrics / without'), { verdict: 'n/a' }, 'no webrocket-nometrics run')

  const tables = [fanoutTable(results.fanout!), memoryTable(results.memory!), connrateTable(results.connrate!), clusterTable(results.cluster!), targetsTable(list)].join('\n')
  t.match(tables, /webrocket\s+400,000\s+400/)
  t.match(tables, /telegraphy: boom/)
  t.match(tables, /syscache: server died/)
  t.match(tables, /2 nodes \+ Redis\s+800,000/)
  t.match(tables, /n\/a/)
  // 90 % of a core at 2,700 connections/s: 333 µs of server CPU per connection.
  t.match(connrateTable(results.connrate!), /webrocket\s+10\s+2,700\s+90\s+333\s+40\/41/)
  t.equal(serverMicrosPerConnection({ subject: 'x', connections: 1, perSecond: 0, cpu: { server: 50, generators: [] } }), undefined, 'no rate, no figure')
  t.equal(serverMicrosPerConnection({ subject: 'x', connections: 1, perSecond: 1000 }), undefined, 'no CPU sample, no figure')
})

t.test('issue 21: uWebSockets.js, past saturation, p99 at 400k, DAS, and the stricter connection targets', async (t) => {
  // A ladder that saturates at 800/s and is run at 1600/s: delivered there / the peak.
  const ladder = (subject: string, at800: number, at1600: number, p99at400: number) => {
    const levels = [level(200, 200_000, 10), level(400, 400_000, p99at400), level(800, at800, 80), level(1600, at1600, 900)]
    return { subject, subscribers: 1000, generators: 2, levels, saturation: levels.reduce((a, b) => (a.delivered >= b.delivered ? a : b)), latency: levels[0], pastSaturation: pastSaturation(levels) }
  }
  const results: Results = {
    fanout: [
      ladder('webrocket', 650_000, 620_000, 45),
      ladder('telegraphy', 500_000, 200_000, 60),
      ladder('das', 700_000, 690_000, 70),
      ladder('uws', 700_000, 1_500_000, 20),
      ladder('socketio', 140_000, 140_000, 900),
    ],
    memory: [
      { subject: 'das', connections: 10, rssPerConnection: 4000, heapPerConnection: 3000 },
      { subject: 'ws', connections: 10, rssPerConnection: 5000, heapPerConnection: 3000 },
    ],
    connrate: [
      { subject: 'das', connections: 10, perSecond: 850 },
      { subject: 'ws', connections: 10, perSecond: 1000 },
    ],
  }
  const list = targets(results)
  const find = (issue: number, name: string) => list.filter((x) => x.issue === issue && x.name.startsWith(name))
  t.match(find(21, 'fan-out at saturation: WebRocket / uWebSockets.js'), [{ value: 650_000 / 1_500_000, limit: 0.8, verdict: 'MISS' }])
  t.match(find(21, 'fan-out at saturation')[0]!.name, /Telegraphy 0\.33×/, 'Telegraphy stated beside it')
  t.match(find(21, 'past saturation: webrocket'), [{ value: 620_000 / 650_000, verdict: 'PASS' }])
  t.match(find(21, 'past saturation: webrocket')[0]!.name, /RSS 110 MiB, \+10 over the window/, 'the RSS is stated')
  t.match(find(21, 'past saturation: telegraphy'), [{ value: 200_000 / 500_000, verdict: 'MISS' }])
  t.equal(find(21, 'past saturation: uws').length, 0, 'baselines have no past-saturation target')
  t.match(find(21, 'fan-out: WebRocket p99 at 400,000'), [{ value: 45, limit: 50, verdict: 'PASS' }])
  t.match(find(21, 'fan-out: DAS subject_update / socket.io'), [{ value: 700_000 / 400_000, verdict: 'MISS' }], 'socket.io peaked at 400/s')
  t.notMatch(find(21, 'fan-out: DAS subject_update')[0]!.name, /unacknowledged/, 'no das-unacked run, nothing said about it')
  // The reference without acknowledgements is stated beside the target, never judged itself.
  const withUnacked = targets({ ...results, fanout: [...results.fanout!, ladder('das-unacked', 900_000, 880_000, 70)] })
  const das = withUnacked.filter((x) => x.name.startsWith('fan-out: DAS subject_update'))
  t.match(das, [{ value: 700_000 / 400_000, verdict: 'MISS' }], 'the target is still das against socket.io')
  t.match(das[0]!.name, /\(unacknowledged 2\.25×\)/, 'das-unacked / socket.io stated beside it')
  t.equal(withUnacked.filter((x) => x.name.includes('das-unacked')).length, 0, 'das-unacked has no target of its own')
  t.match(find(21, 'idle memory: das'), [{ value: 0.8, limit: 0.7, verdict: 'MISS' }])
  t.match(find(8, 'idle memory: das'), [{ value: 0.8, limit: 1.3, verdict: 'PASS' }], 'issue 8\'s target is kept')
  t.match(find(21, 'connection rate: das'), [{ value: 0.85, verdict: 'MISS' }])
  t.match(find(8, 'connection rate: das'), [{ value: 0.85, verdict: 'PASS' }])
  t.notMatch(find(21, 'connection rate: das')[0]!.name, /Fastify/, 'no ws-fastify run, nothing said about it')
  // The Fastify-fronted plain server is stated beside issue 21's connection-rate lines only.
  const withFastify = targets({ ...results, connrate: [...results.connrate!, { subject: 'ws-fastify', connections: 10, perSecond: 960 }] })
  const rate = (issue: number) => withFastify.filter((x) => x.issue === issue && x.name.startsWith('connection rate: das'))
  t.match(rate(21), [{ value: 0.85, verdict: 'MISS' }], 'the target is still das against plain ws')
  t.match(rate(21)[0]!.name, /\(ws behind Fastify 0\.96×\)$/, 'ws-fastify / ws stated beside it')
  t.notMatch(rate(8)[0]!.name, /Fastify/, 'issue 8\'s line as it was')
  t.equal(withFastify.filter((x) => x.name.includes('ws-fastify')).length, 0, 'ws-fastify has no target of its own')
  const rounds = (subject: string, perSecond: number) => ({ subject, connections: 10, perSecond, rounds: [perSecond, perSecond] })
  const paired = targets({ connrate: [rounds('das', 850), rounds('ws', 1000), rounds('ws-fastify', 900)] })
  t.match(paired.find((x) => x.issue === 21)!.name, /plain ws \(median of per-round ratios; ws behind Fastify 0\.90×\)$/, 'one parenthesis')

  const table = pastSaturationTable([...results.fanout!, { ...fanout('ws', 80_000, 40), pastSaturation: null }, { ...fanout('ws-prebuilt', 0, 0), error: 'boom' }])
  t.match(table, /webrocket\s+800\s+650,000\s+1,600\s+620,000\s+0\.95\s+110\s+10\s+90\s+40\/40\s+5/, 'saturates at 800/s, 0.95 of the peak at 1600/s, RSS 110 MiB (+10)')
  t.match(table, /ws\s+> 400\s+80,000(\s+—){8}/, 'a subject that never saturated: the top rate it kept up with')
  t.notMatch(table, /ws-prebuilt/, 'a failed subject is in the fan-out table, not here')
  t.match(fanoutTable(results.fanout!), /webrocket(\s+\S+){8}\s+45\.0\s+0/, 'p99 at 400/s in the fan-out table')
  t.match(targetsTable(list), /#21/)
})
