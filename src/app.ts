import formbody from '@fastify/formbody'
import websocket from '@fastify/websocket'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { type FastifyInstance } from 'fastify'
import type { DestinationStream } from 'pino'
import { ConfigError } from './config/load.js'
import type { Config } from './config/schema.js'
import { createServices, type Services } from './core/services.js'
import { registerCors } from './http/cors.js'
import { registerDocs } from './http/docs.js'
import { registerHttp } from './http/index.js'
import { requestLogger } from './http/lazy-request-logger.js'
import { loggerOptions } from './http/logging.js'
import { echoRequestIds, requestId } from './http/request-id.js'
import { registerSecurityHeaders } from './http/security-headers.js'
import { gatewaySocketServerOptions } from './http/websocket/gateway-websocket.js'
import { keepUpgradeResponses } from './http/websocket/upgrade-response.js'
import { connectionLog } from './observability/connection-log.js'
import { version } from './version.js'
import type { SocketChannel } from './http/docs/socket-channel.js'
import { dasChannel } from '../plugins/das/channel-doc.js'
import das from '../plugins/das/index.js'
import { reallyChannel } from '../plugins/really/channel-doc.js'
import really from '../plugins/really/index.js'
import { syscacheChannel } from '../plugins/syscache/channel-doc.js'
import syscache from '../plugins/syscache/index.js'
import { telegraphyChannel } from '../plugins/telegraphy/channel-doc.js'
import telegraphy from '../plugins/telegraphy/index.js'
import { webrocketChannel } from '../plugins/webrocket/channel-doc.js'
import webrocket from '../plugins/webrocket/index.js'

declare module 'fastify' {
  interface FastifyInstance {
    services: Services
  }
}

export interface BuildOptions {
  /** Overrides the logger settings from the config (tests pass `false`). */
  logger?: boolean
  /** Where log lines go instead of stdout, as JSON (tests read them). */
  logStream?: DestinationStream
  /** Refuse built-in defaults instead of warning about them (default: NODE_ENV=production). */
  production?: boolean
}

/**
 * The socket endpoints of the enabled protocols, each as its plugin describes it, in the order
 * the plugins register: the AsyncAPI channels and the OpenAPI upgrade GETs (src/http/docs).
 */
export function socketChannels (protocols: Config['protocols']): SocketChannel[] {
  const channels: SocketChannel[] = []
  if (protocols.syscache.enabled) channels.push(syscacheChannel(protocols.syscache))
  if (protocols.webrocket.enabled) channels.push(webrocketChannel(protocols.webrocket))
  if (protocols.telegraphy.enabled) channels.push(telegraphyChannel(protocols.telegraphy))
  if (protocols.really.enabled) channels.push(reallyChannel(protocols.really))
  if (protocols.das.enabled) channels.push(dasChannel(protocols.das))
  return channels
}

/**
 * The whole application for one config; the only place that knows the registration order:
 * CORS and security headers first (their hooks cover every route, `/docs` included), docs
 * (so every later route is documented), then the WebSocket server, then body parsers, shared
 * REST, and the protocol plugins.
 */
export async function buildApp (config: Config, options: BuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger === false
      ? false
      : options.logStream === undefined ? loggerOptions(config) : { ...loggerOptions(config, { isTTY: false }), stream: options.logStream },
    childLoggerFactory: requestLogger,
    genReqId: requestId,
    trustProxy: config.server.trustProxy,
    forceCloseConnections: true,
    // A wrong type is a 400 naming the field, not silently turned into the expected type.
    ajv: { customOptions: { coerceTypes: false } },
  }).withTypeProvider<TypeBoxTypeProvider>()

  const services = await createServices(config, app.log, { production: options.production })
  app.decorate('services', services)
  const connectionLines = connectionLog(app.log, config.log.connections)
  if (connectionLines !== null) services.connections.observe(connectionLines)
  app.addHook('onClose', async () => {
    services.accepting = false
    await services.close()
  })

  try {
    await registerCors(app, config.server.cors)
    await registerSecurityHeaders(app)
    await registerDocs(app, version, socketChannels(config.protocols))
    await app.register(websocket, {
      // Every socket is in services.connections (acceptWebSocket), so ws's own client set (a Set
      // entry and a close listener per connection) is not kept. ws does the handshake; the
      // sockets are GatewayWebSockets, which ws builds with these options (closeTimeout and
      // sendBufferLimit are read by GatewayWebSocket; ws's own default for maxFragments stays).
      options: gatewaySocketServerOptions(config.server),
      // Clients are told the server is going away (1001), not that it finished normally.
      preClose (done) {
        services.accepting = false
        services.connections.closeAll(1001, 'server shutting down')
        this.server.close(() => done())
      },
    })
    keepUpgradeResponses(app)
    echoRequestIds(app)
    await app.register(formbody)
    await registerHttp(app, services)
    const { protocols } = config
    try {
      if (protocols.syscache.enabled) await app.register(syscache, { services, config: protocols.syscache })
      if (protocols.webrocket.enabled) await app.register(webrocket, { services, config: protocols.webrocket })
      if (protocols.telegraphy.enabled) await app.register(telegraphy, { services, config: protocols.telegraphy })
      if (protocols.really.enabled) await app.register(really, { services, config: protocols.really })
      if (protocols.das.enabled) await app.register(das, { services, config: protocols.das })
    } catch (err) {
      // A plain Error from a plugin registering is its options refused (a Really model's field,
      // say): a configuration error, exit code 2, as the schema's own (the message names the key).
      throw (err as Error).constructor === Error ? new ConfigError('', (err as Error).message) : err
    }
    // Plugins check their own tables as they register (awaited above): all found by now.
    services.insecureDefaults.warn(app.log)
  } catch (err) {
    // A half-built app still holds Redis and database connections: release them.
    await Promise.allSettled([app.close(), services.close()])
    throw err
  }
  return app
}
