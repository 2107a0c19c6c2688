import t from 'tap'
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifySignature } from '../../src/core/backend/signature.js'
import { startApp } from '../helpers/app.js'
import { WebhookReceiver } from '../helpers/webhook-receiver.js'
import { client, overrides } from '../plugins/webrocket/fixture.js'
import { scrape, scrapeUntil } from './metrics/scrape.js'

const BACKEND_SECRET = 'the-backend-secret-of-32-characters'
const WEBHOOK_SECRET = 'the-webhook-secret-of-32-characters'

/** An app with WebRocket's test vhosts, sending its webhooks to `receiver` with small timers. */
function webhooked (receiver: WebhookReceiver, webhooks: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  return {
    ...overrides(),
    backend: { secret: BACKEND_SECRET },
    webhooks: { url: receiver.url, flushInterval: 20, timeout: 200, retry: { attempts: 3, minDelay: 10, maxDelay: 50 }, ...webhooks },
    ...extra,
  }
}

t.test('a WebRocket client\'s connect, authenticate and disconnect reach the receiver, batched and signed', async (t) => {
  const receiver = await WebhookReceiver.start(t)
  const { url, wsUrl } = await startApp(t, webhooked(receiver, { flushInterval: 200 }))
  const ws = await client(wsUrl, '/webrocket/echo', 'back', 'read-write-secret')
  ws.close()
  await receiver.until((r) => r.delivered.some((e) => e.type === 'disconnect'), 'the disconnect')
  t.equal(receiver.batches.length, 1, 'the three events in one batch (within one flush interval)')
  const [batch] = receiver.batches
  t.ok(verifySignature(BACKEND_SECRET, batch!.headers[TIMESTAMP_HEADER] as string, batch!.body, batch!.headers[SIGNATURE_HEADER] as string), 'signed with backend.secret when webhooks.secret is unset')
  const connection = { protocol: 'webrocket', address: '127.0.0.1' }
  t.match(receiver.delivered, [
    { type: 'connect', connection },
    { type: 'authenticate', connection, user: 'back' },
    { type: 'disconnect', connection, code: 1005, framesIn: 1, framesOut: 1 },
  ])
  const ids = new Set(receiver.delivered.map((e) => e.connection.id))
  t.equal(ids.size, 1, 'one connection id throughout')
  t.match(receiver.delivered[0], { node: /^\S+$/ }, 'the node named')
  const metrics = await scrapeUntil(url, (s) => s.value('switchboard_webhook_events_total', { result: 'delivered' }) === 3, 'delivered counted')
  t.equal(metrics.value('switchboard_webhook_events_total', { result: 'dropped' }), 0)
  t.equal(metrics.value('switchboard_webhook_events_total', { result: 'failed' }), 0)
  t.equal(metrics.value('switchboard_webhook_queue'), 0)
})

t.test('a WebRocket subscribe and unsubscribe reach the receiver with the vhost/channel name', async (t) => {
  const receiver = await WebhookReceiver.start(t)
  const { wsUrl } = await startApp(t, webhooked(receiver))
  const ws = await client(wsUrl, '/webrocket/echo', 'back', 'read-write-secret')
  t.same(await ws.request({ subscribe: { channel: 'hello' } }), { subscribed: 'hello' })
  t.same(await ws.request({ unsubscribe: { channel: 'hello' } }), { unsubscribed: 'hello' })
  t.same(await ws.request({ subscribe: { channel: 'again' } }), { subscribed: 'again' })
  ws.close()
  await receiver.until((r) => r.delivered.some((e) => e.type === 'disconnect'), 'the disconnect')
  t.same(receiver.delivered.map((e) => [e.type, e.channel]), [
    ['connect', undefined], ['authenticate', undefined],
    ['subscribe', '/echo/hello'], ['unsubscribe', '/echo/hello'], ['subscribe', '/echo/again'],
    ['disconnect', undefined],
  ], 'a close ends the subscription without an unsubscribe event: the disconnect covers it')
})

t.test('webhooks.secret, when set, signs instead of backend.secret', async (t) => {
  const receiver = await WebhookReceiver.start(t)
  const { wsUrl } = await startApp(t, webhooked(receiver, { secret: WEBHOOK_SECRET }))
  const ws = await client(wsUrl)
  await receiver.until((r) => r.delivered.length === 1, 'the connect')
  ws.close()
  const [batch] = receiver.batches
  t.ok(verifySignature(WEBHOOK_SECRET, batch!.headers[TIMESTAMP_HEADER] as string, batch!.body, batch!.headers[SIGNATURE_HEADER] as string))
  t.notOk(verifySignature(BACKEND_SECRET, batch!.headers[TIMESTAMP_HEADER] as string, batch!.body, batch!.headers[SIGNATURE_HEADER] as string))
})

t.test('without webhooks.url there are no webhook series', async (t) => {
  const { url } = await startApp(t, overrides())
  t.notOk((await scrape(url)).has('switchboard_webhook_events_total'))
})

t.test('a hanging receiver delays no client; past the queue limit events are dropped and counted', async (t) => {
  const receiver = await WebhookReceiver.start(t)
  receiver.mode = 'hang'
  // A short grace: the app's close at the end drops what still hangs rather than wait for it.
  const { url, wsUrl } = await startApp(t, webhooked(receiver, { batchSize: 1, queueLimit: 2, timeout: 10_000 }, { server: { shutdownGrace: 200 } }))
  const first = await client(wsUrl)
  t.teardown(() => first.close())
  await receiver.until((r) => r.batches.length === 1, 'the first batch, left hanging')
  const clients = []
  const started = performance.now()
  for (let i = 0; i < 3; i++) clients.push(await client(wsUrl, '/webrocket/echo', 'back', 'read-write-secret'))
  t.same(await clients[0]!.request({ subscribe: { channel: 'c' } }), { subscribed: 'c' }, 'a round trip')
  // The receiver holds the first batch for `timeout` (10 s): a client waiting on it would take that long.
  t.ok(performance.now() - started < 5000, 'connects, authentications and a round trip while the receiver hangs')
  for (const c of clients) c.close()
  // Six events after the hung one (three connects, three authentications) into a queue of two.
  const metrics = await scrapeUntil(url, (s) => s.value('switchboard_webhook_events_total', { result: 'dropped' }) >= 4, 'drops counted')
  t.equal(metrics.value('switchboard_webhook_queue'), 2, 'the queue stays at its limit')
  t.equal(receiver.batches.length, 1, 'nothing else sent while the first batch hangs')
})

t.test('a receiver that fails gets the events once it recovers', async (t) => {
  const receiver = await WebhookReceiver.start(t)
  receiver.mode = { status: 500 }
  const { url, wsUrl } = await startApp(t, webhooked(receiver, { retry: { attempts: 20, minDelay: 10, maxDelay: 30 } }))
  const ws = await client(wsUrl)
  await receiver.until((r) => r.batches.length >= 2, 'tried twice')
  receiver.mode = { status: 200 }
  await receiver.until((r) => r.delivered.length === 1, 'delivered')
  ws.close()
  await receiver.until((r) => r.delivered.length === 2, 'the disconnect too')
  t.same(receiver.delivered.map((e) => e.type), ['connect', 'disconnect'])
  await scrapeUntil(url, (s) => s.value('switchboard_webhook_events_total', { result: 'delivered' }) === 2, 'two delivered')
})

t.test('on shutdown the disconnects of the closed clients are flushed before the app has closed', async (t) => {
  const receiver = await WebhookReceiver.start(t)
  // A flush interval far past the test: only the shutdown flush can send them.
  const { app, wsUrl } = await startApp(t, webhooked(receiver, { flushInterval: 60_000 }))
  const clients = [await client(wsUrl), await client(wsUrl)]
  const closed = clients.map((c) => new Promise((resolve) => c.ws.once('close', resolve)))
  await app.close()
  await Promise.all(closed)
  t.same(receiver.delivered.map((e) => e.type).sort(), ['connect', 'connect', 'disconnect', 'disconnect'])
  t.match(receiver.delivered.filter((e) => e.type === 'disconnect'), [{ code: 1001, reason: 'server shutting down' }, { code: 1001 }])
})

t.test('on shutdown what the receiver does not take within the grace is dropped, and the close is not held', async (t) => {
  const receiver = await WebhookReceiver.start(t)
  receiver.mode = 'hang'
  const { app, wsUrl } = await startApp(t, webhooked(receiver, { flushInterval: 60_000, timeout: 60_000 }, { server: { shutdownGrace: 400 } }))
  const ws = await client(wsUrl)
  const started = Date.now()
  await app.close()
  t.ok(Date.now() - started < 2000, 'closed within the grace (half of it for the flush)')
  t.equal(receiver.batches.length, 1, 'the flush was tried')
  t.equal(app.services.webhooks!.counts.dropped, 2, 'the connect and the disconnect, dropped and counted')
  ws.close()
})
