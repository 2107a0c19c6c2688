import type { TelegraphyConfig } from '../../src/config/schema.js'
import type { CoreLogger, Services } from '../../src/core/services.js'
import type { HeldIndex } from './held-index.js'
import type { Liveness } from './liveness.js'

export type Control =
  | { type: 'claim', session: string, from: string }
  | { type: 'handed', session: string, by: string }
  | { type: 'adopted', sessions: string[] }

/** A dropped session kept on this node (kept.ts). */
export interface DetachedSession {
  readonly token: string
  /** The node its client was connected to. */
  readonly holder: string
  /** Stops keeping events; resolves once every event kept so far is in the store. */
  handOver (): Promise<void>
}

/**
 * What a kept session and the adoption of a stopping node's sessions need of this node's
 * gateway. The gateway creates both, so they see it through this, not through gateway.ts.
 */
export interface NodeContext {
  readonly nodeId: string
  readonly config: TelegraphyConfig
  readonly services: Services
  readonly log: CoreLogger
  /** True when sessions live in a store other nodes read (Redis). */
  readonly shared: boolean
  readonly liveness: Liveness
  /** The sessions this node holds or keeps, for whoever takes over if it dies (held-index.ts). */
  readonly held: HeldIndex
  readonly stopping: boolean
  keepDetached (token: string, session: DetachedSession): void
  forgetDetached (token: string, session: DetachedSession): void
  /** Sends a control message to one node. */
  tell (nodeId: string, control: Control): void
}
