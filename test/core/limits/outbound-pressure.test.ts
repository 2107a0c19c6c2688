import t from 'tap'
import { OutboundPressure } from '../../../src/core/limits/outbound-pressure.js'

const settled = (p: Promise<void>, ms: number): Promise<boolean> =>
  Promise.race([p.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms))])

function pressure (over: Partial<ConstructorParameters<typeof OutboundPressure>[0]> = {}) {
  const state = { backlog: 0, stuck: 0 }
  const p = new OutboundPressure({ limit: 1000, recheck: 5, maxWait: 60_000, measure: () => state.backlog, stuck: () => { state.stuck++ }, ...over })
  t.teardown(() => p.close())
  return { p, state }
}

t.test('a backlog up to the limit lets publishers go; past it they wait until it is under half', async (t) => {
  const { p, state } = pressure()
  p.observe(1000)
  t.notOk(p.congested, 'at the limit: not congested')
  t.ok(await settled(p.relieved(), 50), 'relieved() resolves at once')
  p.observe(1001)
  t.ok(p.congested)
  t.equal(p.congestions, 1)
  const relieved = p.relieved()
  state.backlog = 600
  t.notOk(await settled(relieved, 50), 'still above half: publishers wait')
  p.observe(5000)
  t.equal(p.congestions, 1, 'a further flush while congested is the same congestion')
  state.backlog = 500
  t.ok(await settled(relieved, 2000), 'relieved once the backlog is under half')
  t.notOk(p.congested)
  t.equal(p.backlog, 500, 'the last measure is kept')
  t.equal(state.stuck, 0)
})

t.test('past maxWait the connections still holding bytes are shed and publishers go on', async (t) => {
  const { p, state } = pressure({ maxWait: 30 })
  state.backlog = 5000
  p.observe(5000)
  const started = Date.now()
  t.ok(await settled(p.relieved(), 2000), 'relieved after maxWait')
  t.ok(Date.now() - started >= 25, 'not before maxWait')
  t.equal(state.stuck, 1, 'the stuck ones were shed once')
  t.notOk(p.congested)
})

t.test('limit 0 never congests; close() lets waiting publishers go', async (t) => {
  const off = pressure({ limit: 0 }).p
  off.observe(Number.MAX_SAFE_INTEGER)
  t.notOk(off.congested)
  const { p } = pressure()
  p.observe(10_000)
  const waiting = p.relieved()
  p.close()
  t.ok(await settled(waiting, 100))
  t.notOk(p.congested)
})
