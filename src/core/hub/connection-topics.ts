import type { Connection } from '../connection.js'
import type { Hub, Subscriber } from './hub.js'

const DONE = Promise.resolve()

/**
 * One connection's topics. Most connections hold exactly one topic, so one topic is kept in two
 * fields and a Map only comes with the second: a Map's hash table costs every idle connection
 * about 200 bytes (bench, idle memory per connection).
 */
class Topics {
  #topic: string | undefined
  #subscriber: Subscriber | undefined
  #more: Map<string, Subscriber> | undefined

  get size (): number {
    return this.#more?.size ?? (this.#topic === undefined ? 0 : 1)
  }

  get (topic: string): Subscriber | undefined {
    if (this.#more) return this.#more.get(topic)
    return topic === this.#topic ? this.#subscriber : undefined
  }

  set (topic: string, subscriber: Subscriber): void {
    if (this.#more) {
      this.#more.set(topic, subscriber)
    } else if (this.#topic === undefined || this.#topic === topic) {
      this.#topic = topic
      this.#subscriber = subscriber
    } else {
      this.#more = new Map([[this.#topic, this.#subscriber!], [topic, subscriber]])
      this.#topic = this.#subscriber = undefined
    }
  }

  delete (topic: string): void {
    if (this.#more) this.#more.delete(topic)
    else if (topic === this.#topic) this.#topic = this.#subscriber = undefined
  }

  * entries (): IterableIterator<[string, Subscriber]> {
    if (this.#more) yield * this.#more
    else if (this.#topic !== undefined) yield [this.#topic, this.#subscriber!]
  }
}

/**
 * The hub topics of each connection on this node, so that leaving them all when the connection
 * ends is one core call with one error policy (log and continue), whatever the protocol. Only the
 * subscribe/unsubscribe bookkeeping lives here; publishing never looks at it. A connection with
 * no topics costs nothing; one with topics, one small object (a Map from its second topic on).
 *
 * A connection has one subscriber per topic (the session, or one object per subscription, as
 * Really has): joining a topic again with another subscriber replaces the first.
 */
export class ConnectionTopics {
  readonly #byConnection = new Map<Connection, Topics>()
  #size = 0

  /** `onError`: a topic that could not be left while leaving them all (its broker channel may stay). */
  constructor (private readonly hub: Hub, private readonly onError: (err: unknown, topic: string) => void) {}

  /** Subscribes `subscriber` to `topic` for `connection`; resolves once messages published anywhere reach it. */
  join (connection: Connection, topic: string, subscriber: Subscriber): Promise<void> {
    let topics = this.#byConnection.get(connection)
    if (!topics) this.#byConnection.set(connection, topics = new Topics())
    const previous = topics.get(topic)
    if (previous === undefined) this.#size++
    const live = this.hub.subscribe(topic, subscriber)
    // Kept under the hub's own string for the topic: the connection holds no copy of its own.
    topics.set(this.hub.named(topic), subscriber)
    // Subscribed before the previous one leaves, so the topic's broker channel never drops.
    if (previous !== undefined && previous !== subscriber) this.#leaveQuietly(topic, previous)
    return live
  }

  /**
   * Unsubscribes the connection from `topic`: nothing when it was not subscribed, or when
   * `only` is given and another subscriber replaced it (the replaced one has left already).
   */
  leave (connection: Connection, topic: string, only?: Subscriber): Promise<void> {
    const topics = this.#byConnection.get(connection)
    const subscriber = topics?.get(topic)
    if (topics === undefined || subscriber === undefined || (only !== undefined && only !== subscriber)) return DONE
    topics.delete(topic)
    this.#size--
    if (topics.size === 0) this.#byConnection.delete(connection)
    return this.hub.unsubscribe(topic, subscriber)
  }

  /**
   * Leaves every topic of the connection. Never throws and never rejects: it runs on the close
   * path, where a broker failure must cost a log line, not the rest of the cleanup.
   */
  leaveAll (connection: Connection): void {
    const topics = this.#byConnection.get(connection)
    if (topics === undefined) return
    this.#byConnection.delete(connection)
    this.#size -= topics.size
    for (const [topic, subscriber] of topics.entries()) this.#leaveQuietly(topic, subscriber)
  }

  has (connection: Connection, topic: string): boolean {
    return this.#byConnection.get(connection)?.get(topic) !== undefined
  }

  /** The connection's topics now, in the order they were joined. */
  topicsOf (connection: Connection): string[] {
    const topics = this.#byConnection.get(connection)
    return topics === undefined ? [] : Array.from(topics.entries(), ([topic]) => topic)
  }

  /** The connection's topics now (`switchboard_subscriptions` per connection). */
  countOf (connection: Connection): number {
    return this.#byConnection.get(connection)?.size ?? 0
  }

  /** Every connection's topics on this node, summed. */
  get size (): number {
    return this.#size
  }

  #leaveQuietly (topic: string, subscriber: Subscriber): void {
    // An async function: whatever fails (the broker) arrives as a rejection, never a throw.
    this.hub.unsubscribe(topic, subscriber).catch((err: unknown) => this.onError(err, topic))
  }
}
