import type { Test } from 'tap'
import type { Broker } from '../../../src/core/hub/broker.js'
import { Hub, type Subscriber } from '../../../src/core/hub/hub.js'
import type { HubMessage } from '../../../src/core/hub/message.js'

/** Collects what a subscriber receives and lets a test await a count. */
export class Collector implements Subscriber {
  readonly messages: HubMessage[] = []
  #waiters: Array<{ count: number, resolve: () => void }> = []

  deliver (message: HubMessage): void {
    this.messages.push(message)
    this.#waiters = this.#waiters.filter((w) => {
      if (this.messages.length >= w.count) w.resolve()
      return this.messages.length < w.count
    })
  }

  get data (): unknown[] {
    return this.messages.map((m) => m.data)
  }

  /** Resolves once `count` messages arrived; bounded. */
  waitFor (count: number, timeout = 2000): Promise<void> {
    if (this.messages.length >= count) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`got ${this.messages.length} of ${count} messages`)), timeout)
      this.#waiters.push({ count, resolve: () => { clearTimeout(timer); resolve() } })
    })
  }
}

/** The one contract every Broker implementation meets, seen through the Hub. */
export function hubContract (t: Test, name: string, make: (t: Test) => Promise<Broker>): void {
  const hubOf = async (t: Test) => new Hub(await make(t))

  t.test(`${name}: publish reaches every subscriber of the topic, in order`, async (t) => {
    const hub = await hubOf(t)
    const a = new Collector()
    const b = new Collector()
    const other = new Collector()
    await hub.subscribe('t:1', a)
    await hub.subscribe('t:1', b)
    await hub.subscribe('t:2', other)
    for (let i = 0; i < 20; i++) await hub.publish('t:1', { i, text: 'héllo ✓' })
    await a.waitFor(20)
    await b.waitFor(20)
    t.same(a.data.map((d) => (d as { i: number }).i), Array.from({ length: 20 }, (_, i) => i))
    t.same(b.data[0], { i: 0, text: 'héllo ✓' })
    t.equal(other.messages.length, 0)
    t.equal(hub.subscriberCount('t:1'), 2)
  })

  t.test(`${name}: one message object shared by all subscribers, frames encoded once`, async (t) => {
    const hub = await hubOf(t)
    const a = new Collector()
    const b = new Collector()
    await hub.subscribe('shared', a)
    await hub.subscribe('shared', b)
    await hub.publishRaw('shared', '{"x":1}')
    await a.waitFor(1)
    await b.waitFor(1)
    t.equal(a.messages[0], b.messages[0], 'same HubMessage instance')
    let encodes = 0
    const encode = (m: HubMessage) => { encodes++; return Buffer.from(m.raw) }
    const f1 = a.messages[0].frame('fmt', encode)
    const f2 = b.messages[0].frame('fmt', encode)
    t.equal(f1, f2)
    t.equal(encodes, 1)
    b.messages[0].frame('other', encode)
    t.equal(encodes, 2, 'each format encoded once')
  })

  t.test(`${name}: unsubscribed subscribers get nothing more`, async (t) => {
    const hub = await hubOf(t)
    const a = new Collector()
    const b = new Collector()
    await hub.subscribe('u', a)
    await hub.subscribe('u', b)
    await hub.unsubscribe('u', a)
    await hub.publish('u', 1)
    await b.waitFor(1)
    t.equal(a.messages.length, 0)
    await hub.unsubscribe('u', b)
    await hub.unsubscribe('u', b)
    t.equal(hub.subscriberCount('u'), 0)
    await hub.publish('u', 2)
    // Re-subscribing afterwards works again (the broker channel is re-established).
    const c = new Collector()
    await hub.subscribe('u', c)
    await hub.publish('u', 3)
    await c.waitFor(1)
    t.same(c.data, [3])
    t.equal(b.messages.length, 1)
  })

  t.test(`${name}: a throwing subscriber does not keep the message from others`, async (t) => {
    const errors: unknown[] = []
    const hub = new Hub(await make(t), (err) => errors.push(err))
    const good = new Collector()
    await hub.subscribe('e', { deliver: () => { throw new Error('boom') } })
    await hub.subscribe('e', good)
    await hub.publish('e', 'x')
    await good.waitFor(1)
    t.equal(errors.length, 1)
  })

  t.test(`${name}: broker is ready`, async (t) => {
    const broker = await make(t)
    t.equal(broker.isReady(), true)
  })
}
