import t from 'tap'
import { isSaturated, nextRate, pastSaturation } from '../../bench/lib/saturation.js'
import type { Level } from '../../bench/scenarios/fanout.js'

const level = (rate: number, share: number, { skipped = 0, rss = [100, 130] } = {}): Level => ({
  rate, offered: rate * 1000, delivered: rate * 1000 * share, published: rate, skipped, publishFailed: 0,
  latency: { count: 1, p50: 1, p99: 1, max: 1 },
  cpu: { servers: [90], generators: [40, 40], publisher: 5 }, rss: { start: [rss[0]!], end: [rss[1]!] }, subscribersLost: 0,
  windowMs: { orchestrator: 3000, generators: [3000, 3000] },
})

t.test('a level is saturated below 85 % delivered or above 5 % of publishes shed', async (t) => {
  t.notOk(isSaturated(level(100, 0.85)))
  t.ok(isSaturated(level(100, 0.84)))
  t.ok(isSaturated(level(100, 1, { skipped: 6 })), '6 of 106 shed')
  t.notOk(isSaturated(level(100, 1, { skipped: 5 })), '5 of 105 shed')
})

t.test('the ladder climbs until a level saturates, then runs twice that rate once', async (t) => {
  const ladder = [100, 200, 400, 800]
  t.equal(nextRate(ladder, []), 100, 'the first rung')
  t.equal(nextRate(ladder, [level(100, 1)]), 200)
  t.equal(nextRate(ladder, [level(100, 1), level(200, 0.5)]), 400, 'saturated at 200: 400 next')
  t.equal(nextRate(ladder, [level(100, 1), level(200, 0.5), level(400, 0.2)]), null, 'done after twice the saturating rate')
  t.equal(nextRate(ladder, [level(100, 1), level(800, 0.5)]), 1600, 'twice the rate even above the ladder')
  t.equal(nextRate([100, 300, 900], [level(100, 1), level(300, 0.5)]), 600, 'twice the rate even between rungs')
  t.equal(nextRate(ladder, [level(100, 1), level(200, 1), level(400, 1), level(800, 1)]), null, 'the top of the ladder, never saturated')
})

t.test('past saturation: delivered at twice the saturating rate against the peak, with the RSS there', async (t) => {
  const levels = [level(100, 1), level(200, 1), level(400, 0.8, { rss: [200, 260] }), level(800, 0.3, { rss: [260, 400] })]
  t.same(pastSaturation(levels), { saturatingRate: 400, rate: 800, delivered: 240_000, peak: 320_000, ratio: 0.75, rss: 400, rssGrowth: 140 })
  t.equal(pastSaturation(levels.slice(0, 3)), null, 'twice the rate not run')
  t.equal(pastSaturation(levels.slice(0, 2)), null, 'never saturated')
  t.ok(Number.isNaN(pastSaturation([level(100, 0), level(200, 0)])!.ratio), 'nothing delivered: no ratio')
})
