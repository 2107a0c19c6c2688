import t from 'tap'
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifySignature } from '../../../src/core/backend/signature.js'
import { ConnectionRegistry } from '../../../src/core/connection-registry.js'
import { ConnectionTopics } from '../../../src/core/hub/connection-topics.js'
import { Hub } from '../../../src/core/hub/hub.js'
import { MemoryBroker } from '../../../src/core/hub/memory-broker.js'
import { Webhooks, type WebhooksOptions } from '../../../src/core/webhooks/webhooks.js'
import { WebhookReceiver } from '../../helpers/webhook-receiver.js'
import { eventually } from '../../helpers/ws-client.js'
import { FakeConnection, FakeSession, user } from '../connections/fakes.js'

const SECRET = 'a-webhook-secret-of-32-characters-at-least'

function recorder () {
  const lines: Array<[string, string]> = []
  return { lines, log: { info: (_: object, msg?: string) => lines.push(['info', msg!]), warn: (_: object, msg?: string) => lines.push(['warn', msg!]) } }
}

/** Webhooks to `receiver` on a registry of its own; small timers, closed when the test ends. */
function setUp (t: { teardown (fn: () => unknown): void }, receiver: WebhookReceiver, options: Partial<WebhooksOptions> = {}) {
  const { lines, log } = recorder()
  const errors: unknown[] = []
  const webhooks = new Webhooks({
    url: receiver.url,
    secret: SECRET,
    node: 'node-a',
    batchSize: 100,
    flushIntervalMs: 20,
    queueLimit: 1000,
    timeoutMs: 200,
    retry: { attempts: 5, minDelayMs: 20, maxDelayMs: 80 },
    log,
    onError: (err) => errors.push(err),
    ...options,
  })
  t.teardown(() => webhooks.close(0))
  const connections = new ConnectionRegistry({ topics: new ConnectionTopics(new Hub(new MemoryBroker()), () => {}), onError: (err) => errors.push(err) })
  connections.observe(webhooks.observer)
  return { webhooks, connections, lines, errors }
}

t.test('every lifecycle event of a connection reaches the receiver in one signed batch', async (t) => {
  const receiver = await WebhookReceiver.start(t)
  const { webhooks, connections, errors } = setUp(t, receiver, { flushIntervalMs: 50 })
  const c = new FakeConnection('webrocket', '10.1.2.3')
  const before = Date.now()
  connections.add(c, { userAgent: 'curl/8' })
  connections.authenticated(c, user('ann'), new FakeSession())
  connections.subscribed(c, '/echo/hello')
  connections.unsubscribed(c, '/echo/hello')
  c.traffic.received(5)
  c.traffic.sent(7)
  connections.remove(c, { code: 1000, reason: 'bye' })
  await receiver.until((r) => r.delivered.length === 5, 'five events')
  t.equal(receiver.batches.length, 1, 'one batch: they came within one flush interval')
  const [batch] = receiver.batches
  t.ok(verifySignature(SECRET, batch!.headers[TIMESTAMP_HEADER] as string, batch!.body, batch!.headers[SIGNATURE_HEADER] as string), 'signed as backend calls are')
  t.equal(batch!.headers['content-type'], 'application/json')
  const connection = { id: c.id, protocol: 'webrocket', address: '10.1.2.3' }
  t.match(receiver.delivered, [
    { type: 'connect', node: 'node-a', connection, userAgent: 'curl/8' },
    { type: 'authenticate', node: 'node-a', connection, user: 'ann' },
    { type: 'subscribe', connection, user: 'ann', channel: '/echo/hello' },
    { type: 'unsubscribe', connection, user: 'ann', channel: '/echo/hello' },
    { type: 'disconnect', connection, user: 'ann', code: 1000, reason: 'bye', framesIn: 1, bytesIn: 5, framesOut: 1, bytesOut: 7 },
  ])
  t.notOk('user' in receiver.delivered[0]!, 'no user before it authenticated')
  for (const event of receiver.delivered) t.ok(event.time >= before && event.time <= Date.now(), `${event.type}: its time`)
  t.ok(receiver.delivered[4]!.durationMs >= 0)
  await eventually(() => webhooks.counts.delivered === 5, 2000, 'the answer reached the sender')
  t.same(webhooks.counts, { delivered: 5, dropped: 0, failed: 0 })
  t.same(errors, [])
})

t.test('an anonymous connection authenticates with user null and is named by nothing else', async (t) => {
  const receiver = await WebhookReceiver.start(t)
  const { connections } = setUp(t, receiver)
  const c = new FakeConnection('das')
  connections.add(c)
  connections.authenticated(c, { kind: 'anonymous', id: 'x' }, new FakeSession())
  connections.subscribed(c, '/das')
  connections.remove(c)
  await receiver.until((r) => r.delivered.length === 4, 'four events')
  t.match(receiver.delivered, [{ type: 'connect', userAgent: null }, { type: 'authenticate', user: null }, { type: 'subscribe', channel: '/das' }, { type: 'disconnect', code: null, reason: '' }])
  t.notOk(receiver.delivered.slice(2).some((e) => 'user' in e))
})

t.test('a full batch leaves at once, without waiting for the flush interval; close sends the rest', async (t) => {
  const receiver = await WebhookReceiver.start(t)
  const { webhooks, connections } = setUp(t, receiver, { batchSize: 3, flushIntervalMs: 60_000 })
  const all = Array.from({ length: 4 }, () => new FakeConnection())
  for (const c of all) connections.add(c)
  await receiver.until((r) => r.batches.length === 1, 'the full batch (the interval is a minute)')
  t.same(receiver.batches[0]!.events.map((e) => e.connection.id), all.slice(0, 3).map((c) => c.id))
  t.equal(webhooks.queued, 1, 'the partial batch waits')
  await webhooks.close(2000)
  t.same(receiver.batches.map((b) => b.events.length), [3, 1], 'in order')
  t.equal(receiver.batches[1]!.events[0]!.connection.id, all[3]!.id)
})

t.test('a partial batch leaves once the flush interval has passed', async (t) => {
  const receiver = await WebhookReceiver.start(t)
  const { connections } = setUp(t, receiver, { flushIntervalMs: 150 })
  const started = Date.now()
  connections.add(new FakeConnection())
  await receiver.until((r) => r.batches.length === 1, 'the batch')
  t.ok(Date.now() - started >= 140, 'not before the interval')
})

t.test('a receiver answering 500, then hanging past the timeout, gets the batch once it recovers', async (t) => {
  const receiver = await WebhookReceiver.start(t)
  const { webhooks, connections, lines } = setUp(t, receiver, { timeoutMs: 100, retry: { attempts: 10, minDelayMs: 10, maxDelayMs: 40 } })
  receiver.mode = { status: 500 }
  const c = new FakeConnection()
  connections.add(c)
  await receiver.until((r) => r.batches.length >= 2, 'two refused tries')
  receiver.mode = 'hang'
  const hungAt = receiver.batches.length
  await receiver.until((r) => r.batches.length >= hungAt + 2, 'a retry after the hung try timed out', 3000)
  receiver.mode = { status: 200 }
  await receiver.until((r) => r.delivered.length === 1, 'delivered after the recovery', 3000)
  t.same(receiver.delivered.map((e) => e.connection.id), [c.id], 'the one event, once')
  t.ok(receiver.batches.slice(0, -1).every((b) => b.body === receiver.batches[0]!.body), 'the same batch each time')
  await eventually(() => webhooks.counts.delivered === 1, 2000, 'the answer reached the sender')
  t.same(webhooks.counts, { delivered: 1, dropped: 0, failed: 0 })
  t.same(lines, [['warn', 'webhook receiver unavailable'], ['info', 'webhook receiver is back']], 'one line per outage, not per retry')
})

t.test('a batch that fails every try is counted as failed, and the next one still goes', async (t) => {
  const receiver = await WebhookReceiver.start(t)
  const { webhooks, connections } = setUp(t, receiver, { batchSize: 1, retry: { attempts: 3, minDelayMs: 5, maxDelayMs: 10 } })
  receiver.mode = { status: 503 }
  connections.add(new FakeConnection())
  await receiver.until((r) => r.batches.length === 3, 'three tries')
  await eventually(() => webhooks.counts.failed === 1, 2000, 'the last answer reached the sender')
  t.same(webhooks.counts, { delivered: 0, dropped: 0, failed: 1 })
  receiver.mode = { status: 200 }
  const next = new FakeConnection()
  connections.add(next)
  await receiver.until((r) => r.delivered.length === 1, 'the next batch')
  t.equal(receiver.batches.length, 4, 'the failed batch was not tried a fourth time')
  t.equal(receiver.delivered[0]!.connection.id, next.id)
})

t.test('an unreachable receiver counts as down too', async (t) => {
  const receiver = await WebhookReceiver.start(t)
  const url = receiver.url
  await receiver.close()
  const { lines, log } = recorder()
  const webhooks = new Webhooks({ url, secret: null, node: 'n', batchSize: 1, flushIntervalMs: 5, queueLimit: 10, timeoutMs: 200, retry: { attempts: 1, minDelayMs: 5, maxDelayMs: 5 }, log })
  webhooks.observer.opened!(new FakeConnection(), {})
  await eventually(() => webhooks.counts.failed === 1, 2000, 'the one try failed')
  t.same(webhooks.counts, { delivered: 0, dropped: 0, failed: 1 })
  t.same(lines, [['warn', 'webhook receiver unavailable']])
  await webhooks.close(100)
})

t.test('past the queue limit the oldest events are dropped and counted; the observer never waits', async (t) => {
  const receiver = await WebhookReceiver.start(t)
  receiver.mode = 'hang'
  const { webhooks, connections } = setUp(t, receiver, { batchSize: 2, queueLimit: 5, timeoutMs: 5000 })
  connections.add(new FakeConnection())
  connections.add(new FakeConnection())
  await receiver.until((r) => r.batches.length === 1, 'the first batch, hanging')
  const later = Array.from({ length: 8 }, () => new FakeConnection())
  const started = performance.now()
  for (const c of later) connections.add(c)
  t.ok(performance.now() - started < 500, 'queuing is cheap, whatever the receiver does')
  t.equal(webhooks.queued, 5, 'queued synchronously, and bounded')
  t.equal(webhooks.counts.dropped, 3, 'the three oldest of the eight were dropped')
  receiver.mode = { status: 200 }
  await webhooks.close(500)
  // The hung batch is abandoned at the deadline; what was queued behind it went nowhere either.
  t.equal(webhooks.counts.dropped, 3 + 2 + 5, 'everything left at the deadline is dropped and counted')
  t.same(receiver.delivered, [])
})

t.test('close flushes the queue at once, then ends; events after that are dropped', async (t) => {
  const receiver = await WebhookReceiver.start(t)
  const { webhooks, connections } = setUp(t, receiver, { flushIntervalMs: 60_000 })
  const c = new FakeConnection()
  connections.add(c)
  connections.remove(c, { code: 1001, reason: 'server shutting down' })
  const started = Date.now()
  await webhooks.close(2000)
  t.ok(Date.now() - started < 1000, 'not waiting for the flush interval')
  t.same(receiver.delivered.map((e) => e.type), ['connect', 'disconnect'])
  t.same(webhooks.counts, { delivered: 2, dropped: 0, failed: 0 })
  connections.add(new FakeConnection())
  t.equal(webhooks.queued, 0, 'nothing would send it')
  t.equal(webhooks.counts.dropped, 1)
  await webhooks.close(0)
})

t.test('a close during a retry wait lets the retry run within the grace', async (t) => {
  const receiver = await WebhookReceiver.start(t)
  const { webhooks, connections } = setUp(t, receiver, { retry: { attempts: 5, minDelayMs: 100, maxDelayMs: 100 } })
  receiver.mode = { status: 500 }
  connections.add(new FakeConnection())
  await receiver.until((r) => r.batches.length === 1, 'the first try')
  receiver.mode = { status: 200 }
  await webhooks.close(2000)
  t.equal(receiver.delivered.length, 1)
  t.same(webhooks.counts, { delivered: 1, dropped: 0, failed: 0 })
})

t.test('a deadline during a retry wait drops the batch', async (t) => {
  const receiver = await WebhookReceiver.start(t)
  const { webhooks, connections } = setUp(t, receiver, { retry: { attempts: 5, minDelayMs: 5000, maxDelayMs: 5000 } })
  receiver.mode = { status: 500 }
  connections.add(new FakeConnection())
  await receiver.until((r) => r.batches.length === 1, 'the first try')
  await new Promise((resolve) => setImmediate(resolve))
  const started = Date.now()
  await webhooks.close(50)
  t.ok(Date.now() - started < 1000, 'the retry wait did not hold the close')
  t.same(webhooks.counts, { delivered: 0, dropped: 1, failed: 0 })
})

t.test('a failure of the delivery loop itself is reported, and the loop goes on', async (t) => {
  const receiver = await WebhookReceiver.start(t)
  let broken = true
  const random = () => {
    if (broken) throw new Error('loop bug')
    return 0
  }
  const { connections, errors } = setUp(t, receiver, { batchSize: 1, random, retry: { attempts: 3, minDelayMs: 10, maxDelayMs: 10 } })
  receiver.mode = { status: 500 }
  connections.add(new FakeConnection())
  await eventually(() => errors.length === 1, 2000, 'the failure reported')
  t.match(errors, [{ message: 'loop bug' }])
  broken = false
  receiver.mode = { status: 200 }
  const next = new FakeConnection()
  connections.add(next)
  await receiver.until((r) => r.delivered.length === 1, 'the next event delivered')
  t.equal(receiver.delivered[0]!.connection.id, next.id)
})
