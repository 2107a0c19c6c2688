import type { Services } from '../../core/services.js'

/** What a scrape reports of one protocol's connections: closed ones' totals plus the live ones'. */
export interface ProtocolSnapshot {
  connections: number
  opened: number
  closed: Map<string, number>
  framesIn: number
  bytesIn: number
  framesOut: number
  bytesOut: number
  subscriptions: number
  slowConsumersClosed: number
  inboundPaused: number
}

const empty = (): ProtocolSnapshot => ({
  connections: 0, opened: 0, closed: new Map(), framesIn: 0, bytesIn: 0, framesOut: 0, bytesOut: 0, subscriptions: 0, slowConsumersClosed: 0, inboundPaused: 0,
})

/**
 * Every protocol's figures at this instant: one walk over the live connections per scrape, so
 * nothing is counted per frame beyond the connection's own traffic fields. `protocols` (the
 * enabled ones) always appear, at zero before their first connection.
 */
export function snapshotFigures (services: Services, protocols: readonly string[]): Map<string, ProtocolSnapshot> {
  const out = new Map<string, ProtocolSnapshot>()
  const of = (protocol: string) => {
    let s = out.get(protocol)
    if (s === undefined) out.set(protocol, s = empty())
    return s
  }
  for (const protocol of protocols) of(protocol)
  const { connections, subscriptions } = services
  for (const [protocol, figures] of connections.figures.entries()) {
    const s = of(protocol)
    s.opened = figures.opened
    s.closed = figures.closed
    s.framesIn = figures.framesIn
    s.bytesIn = figures.bytesIn
    s.framesOut = figures.framesOut
    s.bytesOut = figures.bytesOut
    s.slowConsumersClosed = figures.slowConsumersClosed
    s.inboundPaused = figures.inboundPaused
  }
  for (const connection of connections.live()) {
    const s = of(connection.protocol)
    const { traffic } = connection
    s.connections++
    s.framesIn += traffic.framesIn
    s.bytesIn += traffic.bytesIn
    s.framesOut += traffic.framesOut
    s.bytesOut += traffic.bytesOut
    s.subscriptions += subscriptions.countOf(connection)
  }
  return out
}
