import t from 'tap'
import { QUEUE_HIGH } from '../../../src/core/inbound-frames.js'
import { startApp } from '../../helpers/app.js'
import { expectClosedAtCap } from '../../helpers/never-reading.js'
import { countReadingPauses } from '../../helpers/reading.js'
import { connected, telegraphyOverrides } from './helpers.js'

// A client that sends faster than its session handles frames is slowed down by TCP: the
// session stops reading the socket past QUEUE_HIGH waiting frames and reads again once drained.
t.test('a flood of frames pauses reading, then every frame is answered in order', async (t) => {
  const reading = countReadingPauses(t)

  const { url, wsUrl } = await startApp(t, telegraphyOverrides())
  const { client } = await connected(url, wsUrl)
  const count = QUEUE_HIGH * 8
  // Sent in one go: they reach the server in a few TCP reads, far faster than they are handled.
  for (let i = 1; i <= count; i++) {
    client.send({ message: i % 2 ? 'SUBSCRIBE' : 'UNSUBSCRIBE', id: i, args: { event_name: 'demo.Item' } })
  }
  for (let i = 1; i <= count; i++) {
    const reply = await client.json()
    const expected = i % 2 ? 'SUBSCRIBED' : 'UNSUBSCRIBED'
    if (reply.id !== i || reply.status !== expected) {
      t.fail(`reply ${i} out of order or wrong: ${JSON.stringify(reply)}`)
      break
    }
  }
  t.ok(reading.paused >= 1, `reading paused ${reading.paused} times`)
  t.equal(reading.resumed, reading.paused, 'and resumed as often')
  t.match(await client.request({ message: 'SUBSCRIBE', id: count + 1, args: { event_name: 'demo.Item' } }), { status: 'SUBSCRIBED' }, 'the connection reads normally afterwards')
  client.close()
})

// Issue 14: a client that sends requests and never reads the replies is closed at the
// writer's cap (server.sendBufferLimit), whatever inbound pausing does meanwhile.
t.test('a client that sends frames in a loop and never reads is closed at the cap', async (t) => {
  const { app, url, wsUrl } = await startApp(t, { ...telegraphyOverrides(), server: { sendBufferLimit: 64 * 1024, closeTimeout: 200 } })
  const { client } = await connected(url, wsUrl)
  // SUBSCRIBE, and unknown messages named in their UNKNOWN_MESSAGE reply (as large as the request).
  const unknown = 'NO_SUCH_MESSAGE_' + 'X'.repeat(1024)
  await expectClosedAtCap(t, app, client, (i) => JSON.stringify({ message: i % 2 ? unknown : 'SUBSCRIBE', id: i + 1, args: { event_name: 'demo.Item' } }))
})
