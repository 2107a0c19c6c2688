import t from 'tap'
import { InboundFrames, QUEUE_HIGH } from '../../src/core/inbound-frames.js'

function fakeConnection () {
  return { paused: 0, resumed: 0, pauseReading () { this.paused++ }, resumeReading () { this.resumed++ } }
}

t.test('frames are handled one at a time, in order; those answered at once are handled at once', async (t) => {
  const connection = fakeConnection()
  const handled: string[] = []
  let release: () => void = () => {}
  const frames = new InboundFrames(connection, (text) => {
    handled.push(text)
    if (text === 'slow') return new Promise<void>((resolve) => { release = resolve })
  })
  void frames.receive('quick')
  void frames.receive('x')
  t.same(handled, ['quick', 'x'], 'handled before receive returned')
  const draining = frames.receive('slow')
  t.type(draining, Promise)
  t.equal(frames.receive('after'), undefined, 'queued behind the slow one')
  t.same(handled, ['quick', 'x', 'slow'])
  release()
  await draining
  t.same(handled, ['quick', 'x', 'slow', 'after'])
})

t.test(`past ${QUEUE_HIGH} waiting frames reading pauses, and resumes once drained; clear drops the rest`, async (t) => {
  const connection = fakeConnection()
  const handled: string[] = []
  const frames = new InboundFrames(connection, async (text) => { handled.push(text) })
  const draining = frames.receive('0')
  for (let i = 1; i <= QUEUE_HIGH; i++) frames.receive(String(i))
  t.equal(connection.paused, 1)
  await draining
  t.equal(handled.length, QUEUE_HIGH + 1)
  t.equal(handled.at(-1), String(QUEUE_HIGH))
  t.equal(connection.resumed, 1)

  const again = frames.receive('a')
  frames.receive('b')
  frames.receive('c')
  frames.clear()
  await again
  t.same(handled.slice(-1), ['a'], 'frames waiting when cleared are dropped')
})
