import { topicProtocol } from '../metrics/topic-protocol.js'
import type { Broker } from './broker.js'
import { HubMessage } from './message.js'

const LIVE = Promise.resolve()

/** Anything that wants the messages of a topic: usually a protocol session. */
export interface Subscriber {
  deliver (message: HubMessage): void
}

/**
 * A topic's local subscribers, with the topic's name as the hub first saw it: every connection
 * that joins the topic keeps that one string (`named`), not the copy its session just built
 * (one string per idle connection, issue 21).
 */
class TopicSubscribers extends Set<Subscriber> {
  constructor (readonly name: string) {
    super()
  }
}

/**
 * Topic → local subscribers, over a Broker that carries messages between nodes. The broker
 * channel of a topic is subscribed when its first local subscriber appears and dropped after
 * the last one leaves.
 */
export class Hub {
  readonly #topics = new Map<string, TopicSubscribers>()
  readonly #pending = new Map<string, Promise<void>>()
  /** Publishes from this node by the protocol of their topic (`switchboard_hub_publishes_total`). */
  readonly published = new Map<string, number>()
  /**
   * Told once per message that reached local subscribers, with the ms since it was published
   * (on any node) and how many subscribers get it: the metrics' delivery latency and deliveries.
   * Null (nothing measured) without metrics.
   */
  onDelivered: ((topic: string, latencyMs: number, subscribers: number) => void) | null = null

  constructor (readonly broker: Broker, private readonly onError: (err: unknown, topic: string) => void = () => {}) {
    broker.onMessage((topic, payload, publishedAt) => this.#dispatch(topic, payload, publishedAt))
  }

  /**
   * Resolves once messages published anywhere on `topic` reach `subscriber`: at once when the
   * topic is already live here, which is the common case and costs no promise of its own.
   */
  subscribe (topic: string, subscriber: Subscriber): Promise<void> {
    let subscribers = this.#topics.get(topic)
    if (!subscribers) {
      subscribers = new TopicSubscribers(topic)
      this.#topics.set(topic, subscribers)
      this.#pending.set(topic, this.broker.subscribe(topic).finally(() => this.#pending.delete(topic)))
    }
    subscribers.add(subscriber)
    return this.#pending.get(topic) ?? LIVE
  }

  async unsubscribe (topic: string, subscriber: Subscriber): Promise<void> {
    const subscribers = this.#topics.get(topic)
    if (!subscribers?.delete(subscriber) || subscribers.size > 0) return
    this.#topics.delete(topic)
    await this.#pending.get(topic)
    // A new subscriber may have come while the broker was subscribing.
    if (!this.#topics.has(topic)) await this.broker.unsubscribe(topic)
  }

  /** Publishes a JSON-serialisable value; it is stringified once for every node and subscriber. */
  publish (topic: string, data: unknown): Promise<void> {
    return this.publishRaw(topic, JSON.stringify(data))
  }

  /** Publishes JSON text as it is (the caller already encoded it). */
  publishRaw (topic: string, raw: string): Promise<void> {
    const protocol = topicProtocol(topic)
    this.published.set(protocol, (this.published.get(protocol) ?? 0) + 1)
    return this.broker.publish(topic, raw)
  }

  /** The string the hub keys `topic` by while it has local subscribers (else `topic` itself). */
  named (topic: string): string {
    return this.#topics.get(topic)?.name ?? topic
  }

  subscriberCount (topic: string): number {
    return this.#topics.get(topic)?.size ?? 0
  }

  #dispatch (topic: string, payload: string, publishedAt: number): void {
    const subscribers = this.#topics.get(topic)
    if (!subscribers) return
    // Before the frames are written: the time the message took to reach this node's fan-out.
    this.onDelivered?.(topic, Date.now() - publishedAt, subscribers.size) // NaN when untimed: not observed
    const message = new HubMessage(topic, payload)
    for (const subscriber of subscribers) {
      try {
        subscriber.deliver(message)
      } catch (err) {
        // One subscriber's failure must not keep the message from the others.
        this.onError(err, topic)
      }
    }
  }
}
