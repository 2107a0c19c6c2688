import type { Broker, BrokerHandler } from './broker.js'

/** The single-process broker: a publish is handed straight to this node's handler. */
export class MemoryBroker implements Broker {
  readonly #channels = new Set<string>()
  #handler: BrokerHandler = () => {}

  onMessage (handler: BrokerHandler): void {
    this.#handler = handler
  }

  async subscribe (channel: string): Promise<void> {
    this.#channels.add(channel)
  }

  async unsubscribe (channel: string): Promise<void> {
    this.#channels.delete(channel)
  }

  async publish (channel: string, payload: string): Promise<void> {
    if (this.#channels.has(channel)) this.#handler(channel, payload, Date.now())
  }

  isReady (): boolean {
    return true
  }

  async close (): Promise<void> {
    this.#channels.clear()
  }
}
