import t from 'tap'
import { request, startApp, TEST_API_KEY } from '../../helpers/app.js'
import { stopReading } from '../../helpers/never-reading.js'
import { eventually, type WsClient } from '../../helpers/ws-client.js'
import { client, overrides } from './fixture.js'

// Issue 21: past saturation a node's sockets would hold more and more that their clients have not
// read. Once they hold server.backlogLimit, publishers wait (a client's broadcasts stop being
// handled; REST publishes get 503 + Retry-After) until the subscribers have read.

const PAYLOAD = 'x'.repeat(4096)
const BROADCASTS = 2000 // 8 MB: more than loopback's socket buffers take from a subscriber that does not read

async function subscribedNotReading (wsUrl: string): Promise<WsClient> {
  const subscriber = await client(wsUrl, '/webrocket/echo', 'back', 'read-write-secret')
  t.same(await subscriber.request({ subscribe: { channel: 'flood' } }), { subscribed: 'flood' })
  stopReading(subscriber)
  return subscriber
}

/** Broadcasts to `flood` in one go and counts the publisher's `broadcasted` replies. */
function flood (publisher: WsClient): { acked: () => number, done: Promise<void> } {
  let acked = 0
  for (let i = 0; i < BROADCASTS; i++) publisher.send({ broadcast: { event: 'e', channel: 'flood', data: { i, PAYLOAD } } })
  const done = (async () => {
    while (acked < BROADCASTS) {
      const reply = JSON.parse(await publisher.next(20_000)) as { broadcasted?: string }
      if (reply.broadcasted === 'flood') acked++
    }
  })()
  return { acked: () => acked, done }
}

t.test('a publisher waits while subscribers have not read, REST publishes get 503, and all goes on once they read', async (t) => {
  const limits = { backlogLimit: 256 * 1024, backlogRecheck: 10, backlogMaxWait: 60_000, sendBufferLimit: 64 * 1024 * 1024 }
  const { app, url, wsUrl } = await startApp(t, { ...overrides(), server: limits })
  const subscriber = await subscribedNotReading(wsUrl)
  const publisher = await client(wsUrl, '/webrocket/echo', 'back', 'read-write-secret')
  const { acked, done } = flood(publisher)
  await eventually(() => app.services.outbound.congested, 10_000, 'congestion')
  const ackedWhenCongested = acked()
  t.ok(ackedWhenCongested < BROADCASTS, `the publisher waits: ${ackedWhenCongested} of ${BROADCASTS} acknowledged`)
  const refused = await request(url, 'POST', '/api/webrocket/vhosts/echo/broadcast', { apiKey: TEST_API_KEY, body: { channel: 'flood', event: 'e', data: {} } })
  t.equal(refused.status, 503, 'a REST publish is refused')
  t.equal(refused.headers.get('retry-after'), '1')
  t.match(refused.body, { message: /fan-out is saturated/ })
  t.ok(app.services.outbound.backlog > limits.backlogLimit, `backlog ${app.services.outbound.backlog} bytes`)

  // The subscriber reads again: every broadcast reaches it, in order, and the publisher is answered.
  ;(subscriber.ws as unknown as { _socket: { resume (): void } })._socket.resume()
  for (let i = 0; i < BROADCASTS; i++) {
    const frame = JSON.parse(await subscriber.next(20_000)) as { data: { i: number } }
    if (frame.data.i !== i) {
      t.fail(`delivery ${i} out of order: ${frame.data.i}`)
      break
    }
  }
  await done
  t.equal(acked(), BROADCASTS, 'every broadcast acknowledged')
  t.notOk(app.services.outbound.congested)
  t.equal(app.services.connections.slowConsumersClosed, 0, 'nobody was closed')
  t.ok(app.services.outbound.congestions >= 1)
  subscriber.close()
  publisher.close()
})

t.test('a subscriber that never reads is closed after backlogMaxWait, and the publisher goes on', async (t) => {
  const limits = { backlogLimit: 256 * 1024, backlogRecheck: 10, backlogMaxWait: 300, sendBufferLimit: 64 * 1024 * 1024 }
  const { app, wsUrl } = await startApp(t, { ...overrides(), server: { ...limits, closeTimeout: 200 } })
  const stuck = await subscribedNotReading(wsUrl)
  const publisher = await client(wsUrl, '/webrocket/echo', 'back', 'read-write-secret')
  const { done } = flood(publisher)
  await eventually(() => app.services.outbound.congested, 10_000, 'congestion')
  await eventually(() => app.services.connections.slowConsumersClosed === 1, 10_000, 'the stuck subscriber closed')
  await done
  t.pass('every broadcast acknowledged')
  t.notOk(app.services.outbound.congested)
  await eventually(() => app.services.connections.size === 1, 10_000, 'only the publisher left on the server')
  stuck.close()
  publisher.close()
})

t.test('backlogLimit 0: no admission control', async (t) => {
  const { app, wsUrl } = await startApp(t, { ...overrides(), server: { backlogLimit: 0, sendBufferLimit: 64 * 1024 * 1024 } })
  const subscriber = await subscribedNotReading(wsUrl)
  const publisher = await client(wsUrl, '/webrocket/echo', 'back', 'read-write-secret')
  const { done } = flood(publisher)
  await done
  t.notOk(app.services.outbound.congested)
  t.equal(app.services.outbound.congestions, 0)
  subscriber.close()
  publisher.close()
})
