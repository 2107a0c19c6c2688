import type { FastifyInstance } from 'fastify'
import { buildApp, type BuildOptions } from './app.js'
import type { Config } from './config/schema.js'
import { StartupFailure } from './core/errors.js'
import { logBanner, startupBanner, type ListeningAddress } from './observability/banner.js'
import { version } from './version.js'

// What an operator can act on, instead of libuv's codes.
const LISTEN_ERRORS: Record<string, string> = {
  EADDRINUSE: 'the port is in use',
  EACCES: 'permission denied (ports below 1024 need privileges)',
  EADDRNOTAVAIL: 'the address is not one of this machine\'s',
}

/**
 * Starts listening and installs graceful shutdown (design.md §5): on SIGTERM/SIGINT readiness
 * flips to 503, new upgrades are refused, sockets are closed with 1001, and the process exits
 * once everything closed or `shutdownGrace` ran out.
 */
export async function serve (config: Config, options: Pick<BuildOptions, 'production'> = {}): Promise<FastifyInstance> {
  const app = await buildApp(config, options)
  await app.listen({ host: config.server.host, port: config.server.port }).catch(async (err: NodeJS.ErrnoException) => {
    await app.close()
    throw new StartupFailure(`cannot listen on ${config.server.host} port ${config.server.port}: ${LISTEN_ERRORS[err.code!] ?? err.message}`, '/server/port', { cause: err })
  })
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
