import type { FastifyInstance } from 'fastify'
import type { Services } from '../core/services.js'
import { registerBearerVerification } from './auth/bearer-jwt.js'
import { consoleRoutes } from './console/route.js'
import { installErrorHandler } from './errors.js'
import { installJsonBodyParser } from './json-body.js'
import { adminUserRoutes } from './routes/admin-users.js'
import { authRoutes } from './routes/auth.js'
import { connectionRoutes } from './routes/connections.js'
import { presenceRoutes } from './routes/presence.js'
import { metricsRoute } from './metrics/route.js'
import { healthRoutes } from './routes/health.js'
import { narrowedTokenRoutes } from './routes/narrowed-tokens.js'
import { oauthRoutes } from './routes/oauth.js'
import { registerCredentialRateLimit } from './throttle/credential-routes.js'
import { holdUntilClosed } from './websocket/address-slot.js'

/**
 * Refuses WebSocket upgrades from origins outside the allowlist, from an address that holds
 * `server.maxConnectionsPerAddress` connections already, and all upgrades during shutdown.
 */
function guardUpgrades (app: FastifyInstance, services: Services): void {
  const allowed = services.config.server.allowedOrigins
  // Callback style, not async: it runs on every request, and an async hook costs each one a promise
  // and a microtask turn. Answering early means sending and not calling `done`.
  app.addHook('onRequest', (request, reply, done) => {
    if (request.headers.upgrade?.toLowerCase() === 'websocket') {
      if (!services.accepting) {
        reply.code(503).send({ statusCode: 503, error: 'Service Unavailable', message: 'shutting down' })
        return
      }
      const origin = request.headers.origin
      if (allowed.length > 0 && origin !== undefined && !allowed.includes(origin)) {
        reply.code(403).send({ statusCode: 403, error: 'Forbidden', message: 'origin not allowed' })
        return
      }
      // Last, so that a refusal above takes no slot. `request.ip` honours server.trustProxy; it is
      // not read at all without a limit (a peer address lookup per connection, issue 8).
      if (services.connections.maxPerAddress > 0) {
        const slot = services.connections.admit(request.ip)
        if (!slot) {
          reply.code(429).send({ statusCode: 429, error: 'Too Many Requests', message: 'too many connections from this address' })
          return
        }
        holdUntilClosed(request.raw.socket, slot)
      }
    }
    done()
  })
}

/** The protocols this app serves: each has its series in /metrics from the start, at zero. */
const enabledProtocols = ({ config }: Services): string[] =>
  Object.entries(config.protocols).flatMap(([name, section]) => section.enabled ? [name] : [])

/** REST shared by every protocol, and the HTTP rules every route follows. */
export async function registerHttp (app: FastifyInstance, services: Services): Promise<void> {
  installErrorHandler(app, services.health.database)
  installJsonBodyParser(app, services.config.limits.maxDepth)
  guardUpgrades(app, services)
  // Before any route: it hooks the routes that opt in as they are added (plugins' too).
  await registerCredentialRateLimit(app, services)
  // `request.jwtVerify()` for every bearer guard, plugins' routes included.
  await registerBearerVerification(app, services)
  await app.register(healthRoutes, { services })
  if (services.config.metrics.enabled) await app.register(metricsRoute, { services, protocols: enabledProtocols(services) })
  await app.register(authRoutes, { services })
  await app.register(narrowedTokenRoutes, { services })
  await app.register(adminUserRoutes, { services })
  await app.register(oauthRoutes, { services })
  await app.register(connectionRoutes, { services })
  await app.register(presenceRoutes, { services })
  if (services.config.console.enabled) await app.register(consoleRoutes)
}
