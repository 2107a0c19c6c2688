import t from 'tap'
import { LiveSessions, type Sweepable } from '../../../plugins/syscache/live-sessions.js'

/** A session stamped at creation that resolves `idle` the first sweep that finds it stale. */
function fakeSession (live: LiveSessions<Sweepable>) {
  let found: (at: number) => void = () => {}
  const idle = new Promise<number>((resolve) => { found = resolve })
  const session = {
    stamp: live.now(),
    sweeps: 0,
    sweep (stale: number) {
      this.sweeps++
      if (this.stamp <= stale) found(performance.now())
    },
  }
  return { session, idle }
}

/**
 * Rejects after `ms`: a sweep that never comes fails the test instead of hanging it. The timer
 * also holds the process open meanwhile (the sweep's own interval does not).
 */
async function within<T> (promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([promise, new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`nothing within ${ms} ms`)), ms)
    })])
  } finally {
    clearTimeout(timer)
  }
}

t.test('a session is found idle once idleTimeout has passed since its stamp, not before', async (t) => {
  const live = new LiveSessions<Sweepable>(200)
  t.teardown(() => live.stop())
  const started = performance.now()
  const { session, idle } = fakeSession(live)
  live.add(session)
  const at = await within(idle, 5000)
  t.ok(at - started >= 200, `found after ${Math.round(at - started)} ms`)
  t.ok(session.sweeps > 1, 'swept before it was idle, without finding it')
})

t.test('a stamp taken later keeps a session from being found idle', async (t) => {
  const live = new LiveSessions<Sweepable>(300)
  t.teardown(() => live.stop())
  const early = fakeSession(live)
  const late = fakeSession(live)
  live.add(early.session)
  live.add(late.session)
  // Restamped each time the other is swept, the late one is never stale while they share sweeps.
  const restamping = { sweep () { late.session.stamp = live.now() } }
  live.add(restamping)
  await within(early.idle, 5000)
  t.equal(await Promise.race([late.idle.then(() => 'found'), Promise.resolve('not found')]), 'not found')
})

t.test('stamps are small integers, 0 with idleTimeout 0; sessions are known until deleted', async (t) => {
  const live = new LiveSessions<Sweepable>(600_000)
  t.ok(Number.isSafeInteger(live.now()) && live.now() < 2 ** 30, 'a Smi, not a heap number')
  const off = new LiveSessions<Sweepable>(0)
  const session = { sweep () {} }
  off.add(session)
  t.equal(off.now(), 0)
  t.ok(off.has(session))
  off.delete(session)
  t.notOk(off.has(session))
})

t.test('after the last session left, the next one added is swept again', async (t) => {
  const live = new LiveSessions<Sweepable>(50)
  t.teardown(() => live.stop())
  const first = fakeSession(live)
  live.add(first.session)
  await within(first.idle, 5000)
  live.delete(first.session)
  t.notOk(live.has(first.session))
  const next = fakeSession(live)
  live.add(next.session)
  await within(next.idle, 5000)
  t.pass('the next session is swept')
})
