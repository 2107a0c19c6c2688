import t from 'tap'
import { Detached, InboundFrames, PAUSE_READING, QUEUE_HIGH, type FrameSink, type Handled, type InboundConnection, type InboundPolicy } from '../../src/core/inbound-frames.js'

function fakeConnection () {
  return {
    paused: 0,
    resumed: 0,
    closes: [] as Array<[number, string | undefined]>,
    pauseReading () { this.paused++ },
    resumeReading () { this.resumed++ },
    close (code: number, reason?: string) { this.closes.push([code, reason]) },
  }
}

/** A promise and the function that resolves it. */
function deferred () {
  let resolve: () => void = () => {}
  const promise = new Promise<void>((r) => { resolve = r })
  return { promise, resolve }
}

/** Lets every promise callback already due run. */
const tick = () => new Promise((resolve) => setImmediate(resolve))

/** A session stand-in: the queue calls it as it calls a session. */
const sink = (handle: (text: string) => Handled | Promise<Handled>, settled?: () => void): FrameSink =>
  ({ handleFrame: handle, ...(settled ? { frameSettled: settled } : {}) })

const closePast = (limit: number): InboundPolicy =>
  ({ kind: 'close', limit, overflow: (connection: InboundConnection) => connection.close(1008, 'too many') })

t.test('frames are handled one at a time, in order; those answered at once are handled at once', async (t) => {
  const connection = fakeConnection()
  const handled: string[] = []
  const slow = deferred()
  const frames = new InboundFrames(connection, sink((text) => {
    handled.push(text)
    if (text === 'slow') return slow.promise
  }), PAUSE_READING)
  void frames.receive('quick')
  void frames.receive('x')
  t.same(handled, ['quick', 'x'], 'handled before receive returned')
  t.equal(frames.pending, 0)
  const draining = frames.receive('slow')
  t.type(draining, Promise)
  t.equal(frames.receive('after'), undefined, 'queued behind the slow one')
  t.same(handled, ['quick', 'x', 'slow'])
  t.equal(frames.pending, 2, 'the frame in hand and the one waiting')
  slow.resolve()
  await draining
  t.same(handled, ['quick', 'x', 'slow', 'after'])
  t.equal(frames.pending, 0)
})

t.test(`pause: past ${QUEUE_HIGH} waiting frames reading pauses, and resumes once drained; clear drops the rest`, async (t) => {
  const connection = fakeConnection()
  const handled: string[] = []
  const frames = new InboundFrames(connection, sink(async (text) => { handled.push(text) }), PAUSE_READING)
  const draining = frames.receive('0')
  for (let i = 1; i < QUEUE_HIGH; i++) frames.receive(String(i))
  t.equal(connection.paused, 0, `${QUEUE_HIGH - 1} waiting: still reading`)
  frames.receive(String(QUEUE_HIGH))
  t.equal(connection.paused, 1)
  for (let i = 1; i <= 10; i++) frames.receive(`more${i}`)
  t.equal(connection.paused, 1, 'paused once')
  t.same(connection.closes, [], 'never closed')
  await draining
  t.equal(handled.length, QUEUE_HIGH + 11, 'every frame handled, none dropped')
  t.equal(handled.at(-1), 'more10')
  t.equal(connection.resumed, 1)

  const again = frames.receive('a')
  frames.receive('b')
  frames.receive('c')
  t.equal(frames.pending, 3)
  frames.clear()
  t.equal(frames.pending, 1, 'only the frame in hand is left')
  await again
  t.same(handled.slice(-1), ['a'], 'frames waiting when cleared are dropped')
  t.equal(frames.pending, 0)
})

t.test('pause resumes reading at the low mark, not before', async (t) => {
  const connection = fakeConnection()
  const gates = new Map<string, ReturnType<typeof deferred>>()
  const frames = new InboundFrames(connection, sink((text) => gates.get(text)?.promise), { kind: 'pause', high: 4, low: 2 })
  for (const name of ['0', '1', '2', '3']) gates.set(name, deferred())
  const draining = frames.receive('0')
  for (const name of ['1', '2', '3', '4']) frames.receive(name)
  t.equal(connection.paused, 1, '4 waiting behind the first: paused')
  gates.get('0')!.resolve()
  await tick()
  t.equal(connection.resumed, 0, '3 waiting: still paused')
  gates.get('1')!.resolve()
  await tick()
  t.equal(connection.resumed, 1, '2 waiting: reading again')
  gates.get('2')!.resolve()
  gates.get('3')!.resolve()
  await draining
  t.equal(connection.resumed, 1)
})

t.test('close: the frame past the limit in flight is dropped and the overflow called, each time', async (t) => {
  const connection = fakeConnection()
  const handled: string[] = []
  const gate = deferred()
  const frames = new InboundFrames(connection, sink((text) => { handled.push(text); return gate.promise }), closePast(3))
  const draining = frames.receive('1')
  frames.receive('2')
  frames.receive('3')
  t.same(connection.closes, [], '3 in flight: within the limit')
  t.equal(frames.receive('4'), undefined)
  t.same(connection.closes, [[1008, 'too many']], 'the overflow got the queue\'s connection')
  frames.receive('5')
  t.equal(connection.closes.length, 2, 'every refused frame calls it (closing is idempotent on a connection)')
  t.equal(frames.pending, 3, 'refused frames are not counted')
  t.equal(connection.paused, 0, 'a close policy never pauses reading')
  gate.resolve()
  await draining
  t.same(handled, ['1', '2', '3'], 'refused frames are never handled')
  t.equal(frames.pending, 0)
  frames.receive('6')
  await tick()
  t.same(handled.at(-1), '6', 'under the limit again, frames are accepted')
  t.equal(connection.closes.length, 2)
})

t.test('a detached job frees the queue but keeps counting until it settles', async (t) => {
  const connection = fakeConnection()
  const handled: string[] = []
  const jobs: Array<ReturnType<typeof deferred>> = []
  let settled = 0
  const frames = new InboundFrames(connection, sink(async (text) => {
    handled.push(text)
    await Promise.resolve() // a detached job is often known only after an await (syscache checks the token first)
    if (!text.startsWith('call')) return
    const job = deferred()
    jobs.push(job)
    return new Detached(job.promise)
  }, () => { settled++ }), closePast(3))

  const first = frames.receive('call1')
  frames.receive('call2')
  await first
  t.same(handled, ['call1', 'call2'], 'the second frame did not wait for the first job')
  t.equal(frames.pending, 2, 'both jobs count')
  t.equal(settled, 0, 'nothing settled yet')

  const third = frames.receive('plain')
  t.equal(frames.pending, 3)
  t.equal(frames.receive('refused'), undefined)
  t.same(connection.closes, [[1008, 'too many']], 'jobs and frames together are bounded')
  await third
  t.equal(settled, 1, 'the plain frame settled')
  t.equal(frames.pending, 2)

  jobs[0].resolve()
  await jobs[0].promise
  await tick()
  t.equal(frames.pending, 1, 'a settled job frees its place')
  t.equal(settled, 2)

  // A job that rejects is ended the same way (it answers its own failures).
  const failing = new InboundFrames(connection, sink(() => new Detached(Promise.reject(new Error('backend')))), closePast(1))
  void failing.receive('x')
  t.equal(failing.pending, 1, 'a job handed back at once counts too')
  await tick()
  t.equal(failing.pending, 0)
})

t.test('a handler that throws rejects the drain; its frame and those behind it are dropped, counts stay true', async (t) => {
  const connection = fakeConnection()
  const handled: string[] = []
  const gate = deferred()
  const frames = new InboundFrames(connection, sink(async (text) => {
    handled.push(text)
    await gate.promise
    if (text === 'bad') throw new Error('bug')
  }), { kind: 'pause', high: 2, low: 0 })
  const draining = frames.receive('bad')
  frames.receive('x')
  frames.receive('y')
  t.equal(connection.paused, 1)
  gate.resolve()
  await t.rejects(draining!, { message: 'bug' })
  t.same(handled, ['bad'])
  t.equal(frames.pending, 0)
  t.equal(connection.resumed, 1, 'reading is not left paused')
  await frames.receive('z')
  t.same(handled, ['bad', 'z'], 'the queue works afterwards')
})

t.test('the queue tells its session when it has nothing left, so an idle session can drop it', async (t) => {
  const connection = fakeConnection()
  let idle = 0
  const slow = deferred()
  const job = deferred()
  const frames = new InboundFrames(connection, {
    handleFrame: (text) => text === 'slow' ? slow.promise : text === 'job' ? new Detached(job.promise) : undefined,
    framesIdle: () => { idle++ },
  }, closePast(5))
  await frames.receive('quick')
  t.equal(idle, 1, 'a frame answered at once leaves it idle')
  const draining = frames.receive('slow')
  void frames.receive('after')
  t.equal(idle, 1, 'not while a frame runs and another waits')
  slow.resolve()
  await draining
  t.equal(idle, 2, 'idle once both are handled')
  await frames.receive('job')
  t.equal(frames.pending, 1)
  t.equal(idle, 2, 'not while a detached job runs, though the drain ended')
  job.resolve()
  await tick()
  t.equal(frames.pending, 0)
  t.equal(idle, 3, 'idle when the job settles')
})
