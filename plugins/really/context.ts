import type { ReallyConfig } from '../../src/config/schema.js'
import type { InboundPolicy } from '../../src/core/inbound-frames.js'
import type { Services } from '../../src/core/services.js'
import type { Models } from './models.js'
import type { ObjectStore } from './store.js'

/** What every Really session shares on one node. */
export interface ReallyContext {
  services: Services
  config: ReallyConfig
  models: Models
  store: ObjectStore
  /** What a connection with too many requests queued gets: `inboundPolicy(config.maxPendingRequests)`. */
  inbound: InboundPolicy
}

/** Hub topic of an object R or a collection R (design.md §2: topics are namespaced by protocol). */
export const topicOf = (r: string): string => `really:${r}`
