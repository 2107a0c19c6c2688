import t from 'tap'
import { TraceQueue } from '../../../plugins/das/trace-queue.js'

const id = (n: number) => `trace-sid-${(n / 1e6).toFixed(6)}`

t.test('in-order acks move the head; the oldest is the first still waiting', async (t) => {
  const q = new TraceQueue()
  t.equal(q.oldest(), undefined)
  for (let n = 1; n <= 3; n++) q.add(id(n), n * 10)
  t.equal(q.size, 3)
  q.ack(id(1))
  t.equal(q.oldest(), 20)
  q.ack(id(1))
  t.equal(q.size, 2, 'a second ack of the same id does nothing')
  q.ack('trace-other-1.000000')
  q.ack('')
  t.equal(q.size, 2, 'unknown ids do nothing')
  q.ack(id(2))
  q.ack(id(3))
  t.equal(q.size, 0)
  t.equal(q.oldest(), undefined)
  q.add(id(4), 40)
  t.equal(q.oldest(), 40, 'usable again once empty')
})

t.test('out-of-order acks are found and skipped once the head reaches them', async (t) => {
  const q = new TraceQueue()
  for (let n = 1; n <= 5; n++) q.add(id(n), n)
  q.ack(id(4))
  q.ack(id(2))
  q.ack(id(4))
  t.equal(q.size, 3)
  t.equal(q.oldest(), 1)
  q.ack(id(1))
  t.equal(q.oldest(), 3, 'the head skipped 2, acknowledged before')
  q.ack(id(3))
  t.equal(q.oldest(), 5, 'and 4')
  t.equal(q.size, 1)
})

t.test('ids growing a digit stay ordered; compaction keeps what waits', async (t) => {
  const q = new TraceQueue()
  // 9,999,999,990 s … 10,000,000,010 s: the seconds gain a digit half way.
  const base = 9_999_999_990 * 1e6
  const ids = Array.from({ length: 3000 }, (_, i) => `trace-sid-${((base + i * 7_000_000) / 1e6).toFixed(6)}`)
  ids.forEach((x, i) => q.add(x, i))
  q.ack(ids[2500])
  for (let i = 0; i < 2000; i++) q.ack(ids[i])
  t.equal(q.size, 999)
  t.equal(q.oldest(), 2000)
  q.ack(ids[2999])
  for (let i = 2000; i < 2500; i++) q.ack(ids[i])
  t.equal(q.oldest(), 2501, 'the out-of-order ack survived compaction')
  for (let i = 2501; i < 2999; i++) q.ack(ids[i])
  t.equal(q.size, 0)
})
