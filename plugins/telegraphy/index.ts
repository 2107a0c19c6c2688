import fp from 'fastify-plugin'
import type { TelegraphyConfig } from '../../src/config/schema.js'
import type { PluginOptions } from '../../src/core/services.js'
import { acceptWebSocket } from '../../src/http/websocket/accept.js'
import { Gateway, type TelegraphyApi } from './gateway.js'
import { telegraphyRoutes } from './routes.js'
import { TelegraphySession } from './session.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** In-process Telegraphy API (docs/protocols/telegraphy.md §3.7, §3.8). */
    telegraphy: TelegraphyApi
  }
}

export type { TelegraphyApi } from './gateway.js'

/** Telegraphy (docs/protocols/telegraphy.md §3): WebSocket gateway at `protocols.telegraphy.path` + companion REST. */
export default fp<PluginOptions<TelegraphyConfig>>(async (app, { services, config }) => {
  const gateway = new Gateway(services, config, app.log)
  await gateway.start()
  app.addHook('onClose', () => gateway.stop())

  app.get(gateway.config.path, { websocket: true }, (socket, request) => {
    const connection = acceptWebSocket(socket, request, 'telegraphy', services)
    const session = new TelegraphySession(gateway, connection)
    connection.attach(session)
  })

  // One listener for the node: a user's roles changed, its sessions here re-check their
  // subscriptions (its kept sessions are re-checked by the RECONNECT that resumes them).
  services.access.onRolesChanged((username) => {
    gateway.accessEpoch++
    for (const holder of services.connections.holdersOf(username)) {
      if (holder instanceof TelegraphySession) holder.accessChanged()
    }
  })

  await app.register(telegraphyRoutes, { services, gateway })

  const api: TelegraphyApi = {
    issueAuthToken: (username, narrowing) => gateway.issueAuthToken(username, narrowing),
    emit: (name, input) => gateway.emit(name, input),
    registerEvent: (name) => gateway.registerEvent(name),
  }
  app.decorate('telegraphy', api)
}, { name: 'switchboard-telegraphy', fastify: '5.x' })
