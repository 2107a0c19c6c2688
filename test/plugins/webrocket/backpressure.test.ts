import t from 'tap'
import { QUEUE_HIGH } from '../../../src/core/inbound-frames.js'
import { startApp } from '../../helpers/app.js'
import { expectClosedAtCap } from '../../helpers/never-reading.js'
import { countReadingPauses } from '../../helpers/reading.js'
import { client, overrides } from './fixture.js'

// A client that sends faster than its session handles frames is slowed down by TCP: the
// session stops reading the socket past QUEUE_HIGH queued frames and reads again once drained.
t.test('a flood of frames pauses reading, then every frame is answered in order', async (t) => {
  const reading = countReadingPauses(t)

  const { wsUrl } = await startApp(t, overrides())
  const ws = await client(wsUrl, '/webrocket/echo', 'back', 'read-write-secret')
  const count = QUEUE_HIGH * 8
  // Sent in one go: they reach the server in a few TCP reads, far faster than they are handled
  // (each waits on the hub; frames answered at once never queue).
  for (let i = 0; i < count; i++) ws.send(i % 2 ? { unsubscribe: { channel: 'flood' } } : { subscribe: { channel: 'flood' } })
  for (let i = 0; i < count; i++) {
    const reply = await ws.json()
    const expected = i % 2 ? { unsubscribed: 'flood' } : { subscribed: 'flood' }
    if (JSON.stringify(reply) !== JSON.stringify(expected)) {
      t.fail(`reply ${i} out of order: ${JSON.stringify(reply)}`)
      break
    }
  }
  t.ok(reading.paused >= 1, `reading paused ${reading.paused} times`)
  t.equal(reading.resumed, reading.paused, 'and resumed as often')
  t.same(await ws.request({ subscribe: { channel: 'after' } }), { subscribed: 'after' }, 'the connection reads normally afterwards')
  ws.close()
})

// Issue 14: a client that sends requests and never reads the replies is closed at the
// writer's cap (server.sendBufferLimit), whatever inbound pausing does meanwhile.
t.test('a client that sends frames in a loop and never reads is closed at the cap', async (t) => {
  const { app, wsUrl } = await startApp(t, { ...overrides(), server: { sendBufferLimit: 64 * 1024, closeTimeout: 200 } })
  const ws = await client(wsUrl, '/webrocket/echo', 'back', 'read-write-secret')
  t.same(await ws.request({ subscribe: { channel: 'flood' } }), { subscribed: 'flood' })
  // Answered through the hub (subscribe/unsubscribe) and at once (an unknown event, named in
  // its UNDEFINED_EVENT error: replies as large as the requests).
  const frames = [{ subscribe: { channel: 'flood' } }, { unsubscribe: { channel: 'flood' } }, { ['no-such-event-' + 'x'.repeat(1024)]: {} }].map((f) => JSON.stringify(f))
  await expectClosedAtCap(t, app, ws, (i) => frames[i % 3])
})
