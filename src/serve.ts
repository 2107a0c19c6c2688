import type { FastifyInstance } from 'fastify'
import { buildApp, type BuildOptions } from './app.js'
import type { Config } from './config/schema.js'
import { logBanner, startupBanner, type ListeningAddress } from './observability/banner.js'
import { version } from './version.js'

/**
 * Starts listening and installs graceful shutdown (design.md §5): on SIGTERM/SIGINT readiness
 * flips to 503, new upgrades are refused, sockets are closed with 1001, and the process exits
 * once everything closed or `shutdownGrace` ran out.
 */
export async function serve (config: Config, options: Pick<BuildOptions, 'production'> = {}): Promise<FastifyInstance> {
  const app = await buildApp(config, options)
  await app.listen({ host: config.server.host, port: config.server.port })
  logBanner(app.log, startupBanner(config, app.server.address() as ListeningAddress, { production: app.services.insecureDefaults.production, version }))
  let stopping = false
  const stop = (signal: string) => {
    if (stopping) return
    stopping = true
    app.log.info({ signal }, 'shutting down')
    app.services.accepting = false
    const deadline = setTimeout(() => {
      app.log.warn({}, 'shutdown grace ran out; exiting')
      process.exit(1)
    }, config.server.shutdownGrace)
    deadline.unref()
    app.close().then(() => process.exit(0), (err) => {
      app.log.error({ err }, 'shutdown failed')
      process.exit(1)
    })
  }
  process.once('SIGTERM', () => stop('SIGTERM'))
  process.once('SIGINT', () => stop('SIGINT'))
  return app
}
