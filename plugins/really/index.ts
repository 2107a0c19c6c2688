import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { ReallyConfig } from '../../src/config/schema.js'
import type { Connection } from '../../src/core/connection.js'
import type { PluginOptions } from '../../src/core/services.js'
import { acceptWebSocket } from '../../src/http/websocket/accept.js'
import type { ReallyContext } from './context.js'
import { Models } from './models.js'
import { reallyRoutes } from './routes.js'
import { inboundPolicy, ReallySession } from './session.js'
import { ObjectStore } from './store.js'

/**
 * Really.io (spec §4): `ws://HOST<prefix>/<version>/socket` and the token routes. Objects live
 * in the core database, pushes cross nodes through the hub.
 */
async function really (app: FastifyInstance, { services, config }: PluginOptions<ReallyConfig>): Promise<void> {
  const ctx: ReallyContext = {
    services,
    config,
    models: new Models(config.models),
    store: await ObjectStore.open(services.database, config.changeLogSize),
    inbound: inboundPolicy(config.maxPendingRequests),
  }

  // One listener for every session (README "Authorization"): a user's roles changed on some
  // node, so that user's Really connections here ask again for what they subscribed to.
  const sessions = new WeakMap<Connection, ReallySession>()
  services.access.onRolesChanged((username) => {
    for (const connection of services.connections.ofUser(username)) sessions.get(connection)?.rolesChanged()
  })

  const versions = new Set(config.versions)
  app.get<{ Params: { version: string } }>(`${config.prefix}/:version/socket`, {
    websocket: true,
    schema: { tags: ['really'], summary: 'Really WebSocket (upgrade only)', hide: true },
    // Spec §4.2: an unknown version is refused before the upgrade, with the seed's body.
    preValidation: async (request, reply) => {
      if (!versions.has(request.params.version)) {
        return reply.code(400).send({ code: 400, reason: 'protocol version is not supported' })
      }
    },
  }, (socket, request) => {
    const connection = acceptWebSocket(socket, request, 'really', services)
    const session = new ReallySession(ctx, connection)
    sessions.set(connection, session)
    connection.attach(session)
  })

  // README "Closed by an operator": the `kicked` push of §4.7, with its own error, then the close.
  services.clusterConnections.closeWith('really', (connection) => {
    const session = sessions.get(connection)
    if (session) session.closedByOperator()
    else connection.close(1008, 'closed by an operator')
  })
  await app.register(reallyRoutes, { services, config })
}

export default fp(really, { name: 'switchboard-really', fastify: '5.x' })
