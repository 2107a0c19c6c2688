// Quiet windows: how long a test listens to show that nothing arrives. Shortening one can only
// make a test miss a late frame, never fail a correct server; so each is as short as the path
// it watches needs. Windows that must outlive a server timer are written next to that timer.

/**
 * One node, in-process broker: MemoryBroker hands a publish straight to the hub, which delivers
 * synchronously, so a frame that would come was written before the publishing call returned.
 * The window covers the loopback socket and a busy event loop.
 */
export const QUIET_LOCAL = 50

/** Across nodes: the same, plus a Redis pub/sub hop (well under a millisecond on localhost). */
export const QUIET_CLUSTER = 100
