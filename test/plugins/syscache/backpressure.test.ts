import t from 'tap'
import { expectClosedAtCap } from '../../helpers/never-reading.js'
import { connect, rpc, syscacheApp } from './helpers.js'

// Issue 14: a client that sends requests and never reads the replies. syscache keeps reading
// (no inbound pausing): its replies must hit the writer's cap (server.sendBufferLimit).
t.test('a client that sends identify in a loop and never reads is closed at the cap', async (t) => {
  const app = await syscacheApp(t, {}, { server: { sendBufferLimit: 64 * 1024, closeTimeout: 200 } })
  const client = await connect(t, app)
  // Answered at once, without a login (spec §1.4 #5).
  t.match(await client.request(rpc('identify', {}, 'first')), { name: 'response', id: 'first' })
  // Long string ids, echoed in every reply: the replies are as large as the requests.
  const pad = 'x'.repeat(1024)
  await expectClosedAtCap(t, app.app, client, (i) => JSON.stringify(rpc('identify', {}, `${i}-${pad}`)))
})
