import type { FastifyInstance } from 'fastify'
import type { Services } from '../core/services.js'
import { installErrorHandler } from './errors.js'
import { adminUserRoutes } from './routes/admin-users.js'
import { authRoutes } from './routes/auth.js'
import { healthRoutes } from './routes/health.js'
import { oauthRoutes } from './routes/oauth.js'

/** Refuses WebSocket upgrades from origins outside the allowlist, and all upgrades during shutdown. */
function guardUpgrades (app: FastifyInstance, services: Services): void {
  const allowed = services.config.server.allowedOrigins
  app.addHook('onRequest', async (request, reply) => {
    if (request.headers.upgrade?.toLowerCase() !== 'websocket') return
    if (!services.accepting) {
      return reply.code(503).send({ statusCode: 503, error: 'Service Unavailable', message: 'shutting down' })
    }
    const origin = request.headers.origin
    if (allowed.length > 0 && origin !== undefined && !allowed.includes(origin)) {
      return reply.code(403).send({ statusCode: 403, error: 'Forbidden', message: 'origin not allowed' })
    }
  })
}

/** REST shared by every protocol, and the HTTP rules every route follows. */
export async function registerHttp (app: FastifyInstance, services: Services): Promise<void> {
  installErrorHandler(app)
  guardUpgrades(app, services)
  await app.register(healthRoutes, { services })
  await app.register(authRoutes, { services })
  await app.register(adminUserRoutes, { services })
  await app.register(oauthRoutes, { services })
}
