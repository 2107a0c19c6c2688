/**
 * One protocol's counters on this node, bumped in place by the code that sees the event (plain
 * integers: no allocation, no metrics library on the paths that run per frame or per connection).
 * The metrics endpoint reads them at scrape time (src/http/metrics).
 */
export class ProtocolFigures {
  opened = 0
  /** Closed connections by close code (`none`: Socket.IO, which has no close codes). */
  readonly closed = new Map<string, number>()
  // Traffic of the connections that have closed; a scrape adds the live ones' (Connection.traffic).
  framesIn = 0
  bytesIn = 0
  framesOut = 0
  bytesOut = 0
  /** Closed for not reading (outbound byte cap, design.md §4). */
  slowConsumersClosed = 0
  /** Times a connection stopped being read because its inbound queue filled (core/inbound-frames.ts). */
  inboundPaused = 0
}

/** Every protocol's figures on this node, created on first use. */
export class NodeFigures {
  readonly #protocols = new Map<string, ProtocolFigures>()

  of (protocol: string): ProtocolFigures {
    let figures = this.#protocols.get(protocol)
    if (figures === undefined) this.#protocols.set(protocol, figures = new ProtocolFigures())
    return figures
  }

  entries (): IterableIterator<[string, ProtocolFigures]> {
    return this.#protocols.entries()
  }
}

/** The `code` label of a closed connection. */
export const closeCodeLabel = (code: number | null): string => code === null ? 'none' : String(code)
