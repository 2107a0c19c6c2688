import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { FailureLimit } from '../../src/core/throttle/failure-limit.js'
import type { SyscacheConfig } from '../../src/config/schema.js'
import type { PluginOptions } from '../../src/core/services.js'
import { acceptWebSocket } from '../../src/http/websocket/accept.js'
import { ClassRouter } from './classes.js'
import { LiveSessions } from './live-sessions.js'
import { SharedPrincipals } from './principals.js'
import { syscacheRoutes } from './routes.js'
import { EVENT_WIRES, inboundPolicy, SyscacheSession, type SyscacheContext } from './session.js'

/** True when a proxy says it forwarded the request: such a peer is never "local" (spec §1.7). */
export function forwardedByProxy (request: FastifyRequest): boolean {
  const { headers } = request
  return headers['x-forwarded-for'] !== undefined || headers.forwarded !== undefined
}

/** syscache (sysadm WebSocket API, spec §1) at `protocols.syscache.path`, plus its REST routes. */
async function syscache (app: FastifyInstance, { services, config }: PluginOptions<SyscacheConfig>): Promise<void> {
  const ctx: SyscacheContext = {
    services,
    config,
    classes: new ClassRouter(services.backend(config.backendUrl), config.fullAccessOnly, services.access,
      (name, reason) => app.log.warn({ name, reason }, 'syscache backend failed')),
    log: app.log,
    // §1.6 / §1.9 #10: counted in the shared throttle store, so a block holds on every node.
    blacklist: new FailureLimit(services.counters, {
      name: 'syscache-blacklist', max: config.maxAuthFailures, windowMs: config.authFailureWindow, blockMs: config.blockDuration,
    }),
    inbound: inboundPolicy(config.maxPendingRequests),
    wire: EVENT_WIRES[config.eventFormat],
    live: new LiveSessions(config.idleTimeout),
    principals: new SharedPrincipals(),
  }
  app.addHook('onClose', async () => ctx.live.stop())

  app.get(config.path, { websocket: true, schema: { hide: true } }, (socket, request) => {
    const connection = acceptWebSocket(socket, request, 'syscache', services)
    connection.attach(new SyscacheSession(ctx, connection, forwardedByProxy(request)))
  })

  // A user's roles changed on some node: its sessions here leave the event types they may no
  // longer receive. The core indexes each logged-in session by its user, as the connection's revocable.
  services.access.onRolesChanged((username) => {
    for (const holder of services.connections.holdersOf(username)) if (ctx.live.has(holder)) holder.rolesChanged()
  })

  await app.register(syscacheRoutes, { services })
}

export default fp(syscache, { name: 'switchboard-syscache', fastify: '5.x' })
