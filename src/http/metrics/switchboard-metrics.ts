import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { Services } from '../../core/services.js'
import { topicProtocol } from '../../core/metrics/topic-protocol.js'
import { snapshotFigures, type ProtocolSnapshot } from './figures-snapshot.js'

/** Prometheus' text exposition format, as prom-client writes it. */
export const CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE

// Publish-to-delivery within a node is well under a millisecond; across nodes it is Redis's
// round trip, and anything past a second is an incident.
const DELIVERY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]
// Backend calls are HTTP requests to an application, bounded by backend.timeout (10 s by default).
const BACKEND_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

type Figure = Exclude<keyof ProtocolSnapshot, 'closed'>

/**
 * This app's metrics (README "Observability"): a prom-client Registry of its own (tests run
 * many apps in one process), filled from the core's plain counters when scraped. Only the hub's
 * delivery latency and the backend calls are observed as they happen, once per message and per
 * call, never per subscriber or per frame.
 */
export class SwitchboardMetrics {
  readonly registry = new Registry()
  #snapshot = new Map<string, ProtocolSnapshot>()

  constructor (private readonly services: Services, private readonly protocols: readonly string[]) {
    const registers = [this.registry]
    collectDefaultMetrics({ register: this.registry, prefix: 'switchboard_' })
    const read = this.#read.bind(this)
    const perProtocol = (name: string, help: string, figure: Figure, Kind: typeof Gauge | typeof Counter) => {
      new Kind({
        name, help, labelNames: ['protocol'], registers,
        collect () { read(this, figure) },
      })
    }
    perProtocol('switchboard_connections', 'Open connections', 'connections', Gauge)
    perProtocol('switchboard_connections_opened_total', 'Connections accepted', 'opened', Counter)
    perProtocol('switchboard_frames_received_total', 'Frames received from clients', 'framesIn', Counter)
    perProtocol('switchboard_bytes_received_total', 'Payload bytes received from clients', 'bytesIn', Counter)
    perProtocol('switchboard_frames_sent_total', 'Frames sent to clients (deliveries and replies)', 'framesOut', Counter)
    perProtocol('switchboard_bytes_sent_total', 'Payload bytes sent to clients', 'bytesOut', Counter)
    perProtocol('switchboard_subscriptions', 'Hub topics the open connections are subscribed to', 'subscriptions', Gauge)
    perProtocol('switchboard_slow_consumers_closed_total', 'Connections closed for not reading (server.sendBufferLimit)', 'slowConsumersClosed', Counter)
    perProtocol('switchboard_inbound_paused_total', 'Times a connection stopped being read because its inbound queue was full', 'inboundPaused', Counter)
    const snapshot = () => this.#snapshot
    new Counter({
      name: 'switchboard_connections_closed_total', help: 'Connections closed, by close code (none: Socket.IO)', labelNames: ['protocol', 'code'], registers,
      collect () {
        this.reset()
        for (const [protocol, s] of snapshot()) for (const [code, n] of s.closed) this.inc({ protocol, code }, n)
      },
    })
    const { throttle, hub } = services
    new Counter({
      name: 'switchboard_auth_total', help: 'Credential checks by outcome (http: the shared REST routes)', labelNames: ['protocol', 'result'], registers,
      collect () {
        this.reset()
        for (const [protocol, outcomes] of throttle.outcomes) {
          for (const result of ['success', 'failure', 'throttled'] as const) this.inc({ protocol, result }, outcomes[result])
        }
      },
    })
    new Counter({
      name: 'switchboard_hub_publishes_total', help: 'Messages this node published to the hub (internal: node-to-node control topics)', labelNames: ['protocol'], registers,
      collect () {
        this.reset()
        for (const [protocol, n] of hub.published) this.inc({ protocol }, n)
      },
    })
    const deliveries = new Counter({ name: 'switchboard_hub_deliveries_total', help: 'Hub messages handed to local subscribers (one per subscriber)', labelNames: ['protocol'], registers })
    const latency = new Histogram({ name: 'switchboard_hub_delivery_latency_seconds', help: 'From a hub publish (on any node) to its fan-out on this node', labelNames: ['protocol'], buckets: DELIVERY_BUCKETS, registers })
    const byProtocol = new Map<string, { latency: { observe (v: number): void }, deliveries: { inc (v: number): void } }>()
    hub.onDelivered = (topic, latencyMs, subscribers) => {
      const protocol = topicProtocol(topic)
      let meters = byProtocol.get(protocol)
      if (meters === undefined) byProtocol.set(protocol, meters = { latency: latency.labels(protocol), deliveries: deliveries.labels(protocol) })
      if (!Number.isNaN(latencyMs)) meters.latency.observe(latencyMs / 1000)
      meters.deliveries.inc(subscribers)
    }
    const backend = new Histogram({ name: 'switchboard_backend_call_duration_seconds', help: 'Calls to a protocol backend, by outcome (ok, unknown, refused, rejected, failed)', labelNames: ['protocol', 'outcome'], buckets: BACKEND_BUCKETS, registers })
    services.onBackendCall = (protocol, outcome, ms) => backend.observe({ protocol, outcome }, ms / 1000)
    const { webhooks } = services
    if (webhooks !== null) {
      new Counter({
        name: 'switchboard_webhook_events_total', help: 'Lifecycle webhook events: delivered, dropped (queue full, or left at shutdown), failed (every retry failed)', labelNames: ['result'], registers,
        collect () {
          this.reset()
          for (const result of ['delivered', 'dropped', 'failed'] as const) this.inc({ result }, webhooks.counts[result])
        },
      })
      new Gauge({
        name: 'switchboard_webhook_queue', help: 'Lifecycle webhook events waiting to be sent', registers,
        collect () { this.set(webhooks.queued) },
      })
    }
    const { outbound } = services
    new Counter({
      name: 'switchboard_outbound_congestions_total', help: 'Times publishers were held back because the sockets held server.backlogLimit unread', registers,
      collect () {
        this.reset()
        this.inc(outbound.congestions)
      },
    })
    new Gauge({
      name: 'switchboard_outbound_backlog_bytes', help: 'Bytes the sockets held unread at the last fan-out flush (or recheck while congested)', registers,
      collect () { this.set(outbound.backlog) },
    })
    new Gauge({
      name: 'switchboard_dependency_up', help: 'Whether a dependency answers (database, store, broker), as /ready sees it', labelNames: ['dependency'], registers,
      async collect () {
        for (const [dependency, up] of Object.entries(await services.dependencies())) this.set({ dependency }, up ? 1 : 0)
      },
    })
  }

  /** The text a scrape answers. */
  async scrape (): Promise<string> {
    this.#snapshot = snapshotFigures(this.services, this.protocols)
    return this.registry.metrics()
  }

  /** Stops observing the core (the app is closing). */
  detach (): void {
    this.services.hub.onDelivered = null
    this.services.onBackendCall = null
  }

  #read (metric: Gauge | Counter, figure: Figure): void {
    metric.reset()
    for (const [protocol, s] of this.#snapshot) {
      if (metric instanceof Gauge) metric.set({ protocol }, s[figure])
      else metric.inc({ protocol }, s[figure])
    }
  }
}
