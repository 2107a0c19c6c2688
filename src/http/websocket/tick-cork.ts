import type { OutboundPressure } from '../../core/limits/outbound-pressure.js'

/** A socket writer corked for the rest of this tick (WsConnection, DAS's EventWriter). */
export interface TickCorked {
  uncork (): void
  /** Bytes its socket still holds once uncorked: what the admission control sums. */
  readonly unreadBytes: number
}

// Writers corked during this tick, each with its node's admission control; one setImmediate
// uncorks them all, so every frame a socket gets in one tick leaves in one write (design.md §4).
// One list for every protocol, so a node's backlog is summed over all of its sockets.
const corked: TickCorked[] = []
const corkedPressure: OutboundPressure[] = []
let flushScheduled = false
// Fan-out bytes written since the last flush. A tick can hold many publishes (a publisher's
// frames arrive in batches and are handled in one go): past the limit, the node is congested at
// once, so the publishes behind wait instead of queuing gigabytes before the flush sees them.
let tickBytes = 0

function flushCorked (): void {
  flushScheduled = false
  tickBytes = 0
  // Summed per node (several apps share this module in tests; one in a server): a fan-out writes
  // to every subscriber in one tick, so this is the node's backlog as its publish left it.
  let pressure: OutboundPressure | undefined
  let backlog = 0
  for (let i = 0; i < corked.length; i++) {
    const writer = corked[i]
    writer.uncork()
    if (corkedPressure[i] !== pressure) {
      pressure?.observe(backlog)
      pressure = corkedPressure[i]
      backlog = 0
    }
    backlog += writer.unreadBytes
  }
  pressure?.observe(backlog)
  corked.length = 0
  corkedPressure.length = 0
}

/** `writer` has just corked its socket: it is uncorked when this tick's I/O is done. */
export function uncorkAtTickEnd (writer: TickCorked, pressure: OutboundPressure): void {
  corked.push(writer)
  corkedPressure.push(pressure)
  if (!flushScheduled) {
    flushScheduled = true
    setImmediate(flushCorked)
  }
}

/** Counts fan-out bytes written during this tick; past the limit the node is congested at once. */
export function countTickBytes (bytes: number, pressure: OutboundPressure): void {
  tickBytes += bytes
  if (tickBytes > pressure.limit && pressure.limit > 0) pressure.observe(tickBytes)
}
