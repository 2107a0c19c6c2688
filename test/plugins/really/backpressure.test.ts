import t from 'tap'
import { expectClosedAtCap } from '../../helpers/never-reading.js'
import { initialized, startReally } from './helpers.js'

// Issue 14: a client that sends requests and never reads the replies. Really keeps reading
// (no inbound pausing): its replies must hit the writer's cap (server.sendBufferLimit).
t.test('a client that sends commands in a loop and never reads is closed at the cap', async (t) => {
  const app = await startReally(t, {}, { server: { sendBufferLimit: 64 * 1024, closeTimeout: 200 } })
  const client = await initialized(t, app)
  t.same(await client.request({ tag: 2, cmd: 'ping' }), { tag: 2, evt: 'pinged' })
  // Pings, and unknown commands whose 454 error names them (replies as large as the requests).
  const unknown = 'no-such-command-' + 'x'.repeat(1024)
  await expectClosedAtCap(t, app.app, client, (i) => JSON.stringify({ tag: i, cmd: i % 2 ? unknown : 'ping' }))
})
