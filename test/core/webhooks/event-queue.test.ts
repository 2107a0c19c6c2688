import t from 'tap'
import { backoffDelay } from '../../../src/core/webhooks/backoff.js'
import { EventQueue } from '../../../src/core/webhooks/event-queue.js'

t.test('first in, first out, across the buffer growing and wrapping', async (t) => {
  const queue = new EventQueue<number>(100)
  for (let i = 0; i < 10; i++) queue.push(i)
  t.same(queue.take(4), [0, 1, 2, 3])
  for (let i = 10; i < 40; i++) t.equal(queue.push(i), false, 'room left')
  t.equal(queue.size, 36)
  t.same(queue.take(100), Array.from({ length: 36 }, (_, i) => i + 4))
  t.same(queue.take(3), [], 'empty')
})

t.test('a full queue drops its oldest item for a new one', async (t) => {
  for (const limit of [1, 3, 16, 40]) {
    const queue = new EventQueue<number>(limit)
    let dropped = 0
    for (let i = 0; i < limit + 7; i++) if (queue.push(i)) dropped++
    t.equal(dropped, 7, `limit ${limit}: seven dropped`)
    t.equal(queue.size, limit)
    t.same(queue.take(2), [7, 8].slice(0, limit), `limit ${limit}: the oldest kept first`)
    queue.push(-1)
    t.same(queue.take(limit).at(-1), -1, `limit ${limit}: the newest last`)
  }
})

t.test('clear empties and says how many were held', async (t) => {
  const queue = new EventQueue<string>(5)
  queue.push('a')
  queue.push('b')
  t.equal(queue.clear(), 2)
  t.equal(queue.size, 0)
  queue.push('c')
  t.same(queue.take(5), ['c'])
})

t.test('backoff doubles from minDelay up to maxDelay, its upper half jittered', async (t) => {
  const policy = { minDelayMs: 100, maxDelayMs: 1000 }
  t.same([1, 2, 3, 4, 5, 60].map((n) => backoffDelay(n, policy, () => 0)), [50, 100, 200, 400, 500, 500], 'no jitter: half the ceiling')
  t.same([1, 2, 3, 4, 5, 60].map((n) => backoffDelay(n, policy, () => 1)), [100, 200, 400, 800, 1000, 1000], 'full jitter: the ceiling')
  for (let i = 0; i < 50; i++) {
    const d = backoffDelay(3, policy)
    t.ok(d >= 200 && d <= 400, `within [200, 400]: ${d}`)
  }
})
