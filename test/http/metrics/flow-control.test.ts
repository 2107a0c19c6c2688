import t from 'tap'
import { QUEUE_HIGH } from '../../../src/core/inbound-frames.js'
import { startApp } from '../../helpers/app.js'
import { expectClosedAtCap } from '../../helpers/never-reading.js'
import { client, overrides } from '../../plugins/webrocket/fixture.js'
import { scrape } from './scrape.js'

// The two flow-control events of a connection, counted for its protocol.
t.test('a flooding client pauses reading: switchboard_inbound_paused_total', async (t) => {
  const { url, wsUrl } = await startApp(t, overrides())
  const ws = await client(wsUrl, '/webrocket/echo', 'back', 'read-write-secret')
  t.equal((await scrape(url)).value('switchboard_inbound_paused_total', { protocol: 'webrocket' }), 0)
  const count = QUEUE_HIGH * 8
  for (let i = 0; i < count; i++) ws.send(i % 2 ? { unsubscribe: { channel: 'flood' } } : { subscribe: { channel: 'flood' } })
  for (let i = 0; i < count; i++) await ws.next()
  const s = await scrape(url)
  t.ok(s.value('switchboard_inbound_paused_total', { protocol: 'webrocket' }) >= 1, 'paused at least once')
  t.equal(s.value('switchboard_inbound_paused_total', { protocol: 'telegraphy' }), 0, 'another protocol: none')
  t.ok(s.value('switchboard_frames_received_total', { protocol: 'webrocket' }) >= count, 'every frame of the live connection counted')
  ws.close()
})

t.test('a client that never reads is closed: switchboard_slow_consumers_closed_total', async (t) => {
  const { app, url, wsUrl } = await startApp(t, { ...overrides(), server: { sendBufferLimit: 64 * 1024, closeTimeout: 200 } })
  const ws = await client(wsUrl, '/webrocket/echo', 'back', 'read-write-secret')
  const frames = [JSON.stringify({ ['no-such-event-' + 'x'.repeat(1024)]: {} })]
  await expectClosedAtCap(t, app, ws, (i) => frames[i % 1])
  const s = await scrape(url)
  t.equal(s.value('switchboard_slow_consumers_closed_total', { protocol: 'webrocket' }), 1)
  t.equal(s.value('switchboard_slow_consumers_closed_total'), 1, 'no other protocol')
})
