/**
 * Called for every message on a channel this node subscribed to; `publishedAt` is when the
 * publishing node published it (ms since the epoch, that node's clock: the delivery latency).
 */
/** `publishedAt`: ms since the epoch on the publishing node; NaN when it did not say (an earlier version). */
export type BrokerHandler = (channel: string, payload: string, publishedAt: number) => void

/**
 * Carries hub messages between nodes. A publish reaches the handler of every node subscribed
 * to the channel, this node included, exactly once each.
 */
export interface Broker {
  onMessage (handler: BrokerHandler): void
  subscribe (channel: string): Promise<void>
  unsubscribe (channel: string): Promise<void>
  publish (channel: string, payload: string): Promise<void>
  /** False while the distributed transport is unreachable (local delivery still works). */
  isReady (): boolean
  close (): Promise<void>
}
