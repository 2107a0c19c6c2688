import formbody from '@fastify/formbody'
import websocket from '@fastify/websocket'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyInstance } from 'fastify'
import type { Config } from './config/schema.js'
import { createServices, type Services } from './core/services.js'
import { registerDocs } from './http/docs.js'
import { registerHttp } from './http/index.js'
import { loggerOptions } from './http/logging.js'
import { version } from './version.js'
import das from '../plugins/das/index.js'

declare module 'fastify' {
  interface FastifyInstance {
    services: Services
  }
}

export interface BuildOptions {
  /** Overrides the logger settings from the config (tests pass `false`). */
  logger?: boolean
}

/**
 * The whole application for one config; the only place that knows the registration order:
 * docs first (so every later route is documented), then the WebSocket server, then body
 * parsers, shared REST, and the protocol plugins.
 */
export async function buildApp (config: Config, options: BuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger === false ? false : loggerOptions(config),
    trustProxy: true,
    forceCloseConnections: true,
  }).withTypeProvider<TypeBoxTypeProvider>()

  const services = await createServices(config, app.log)
  app.decorate('services', services)
  app.addHook('onClose', async () => {
    services.accepting = false
    await services.close()
  })

  await registerDocs(app, version)
  await app.register(websocket, {
    options: { maxPayload: config.server.maxPayload },
    // Clients are told the server is going away (1001), not that it finished normally.
    preClose (done) {
      services.accepting = false
      services.connections.closeAll(1001, 'server shutting down')
      for (const client of this.websocketServer.clients) client.close(1001, 'server shutting down')
      this.server.close(() => done())
    },
  })
  await app.register(formbody)
  await registerHttp(app, services)
  if (config.protocols.das.enabled) await app.register(das, { services })

  return app
}
