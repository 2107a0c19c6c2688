import type { FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'
import type { WebrocketConfig } from '../../src/config/schema.js'
import type { PluginOptions } from '../../src/core/services.js'
import { acceptWebSocket } from '../../src/http/websocket/accept.js'
import { WebrocketDb } from './db.js'
import { MANAGE, READ } from './permissions.js'
import { publishBroadcast } from './publish.js'
import { webrocketRoutes } from './routes.js'
import { defaultUsersInDatabase, seedFromConfig } from './seed.js'
import { WebrocketSession, type SessionContext } from './session.js'
import { VhostRegistry, type Vhost } from './vhost-registry.js'

export interface WebrocketApi {
  /** Server-side publish (spec §2.8 decision): `{event, channel, data}` to every subscriber, every node. False if the vhost or channel does not exist. */
  broadcast (vhost: string, channel: string, event: string, data?: unknown): Promise<boolean>
}

declare module 'fastify' {
  interface FastifyInstance {
    webrocket: WebrocketApi
  }
  interface FastifyRequest {
    /** The vhost of a WebRocket upgrade, from its preValidation hook to its handler. */
    webrocketVhost: Vhost | null
  }
}

/**
 * WebRocket (spec §2): one WebSocket endpoint per vhost at `<prefix>/<vhost>`, vhosts, users
 * and channels in the database (seeded from the config), admin and publish REST routes.
 */
const webrocket: FastifyPluginAsync<PluginOptions<WebrocketConfig>> = async (app, { services, config }) => {
  const db = await WebrocketDb.open(services.database, services.config.auth.passwordHashing.cost)
  const dropped = await seedFromConfig(db, config.vhosts)
  services.insecureDefaults.add(await defaultUsersInDatabase(db, config.vhosts))
  // During shutdown, sockets closing after Redis went away fail to unsubscribe: not worth an error.
  const onError = (err: unknown) => services.accepting ? app.log.error({ err }, 'webrocket') : app.log.debug({ err }, 'webrocket')
  const registry = new VhostRegistry(db, services.hub, onError, services.config.limits.channelsPerVhost)
  await registry.start()
  // Users the config dropped: other nodes forget them and close their connections, as after a REST delete.
  for (const user of dropped) await registry.changed({ op: 'user', vhost: user.vhost, name: user.name })
  app.addHook('preClose', async () => {
    // The hub may already be going away with the services; nothing to save here.
    await registry.stop().catch(() => {})
  })

  const context: SessionContext = {
    hub: services.hub,
    subscriptions: services.subscriptions,
    backend: services.backend(config.triggerUrl),
    throttle: services.throttle,
    authWindow: config.authWindow,
    limits: services.config.limits,
    access: services.access,
    createChannels: config.createChannels === 'MANAGE' ? MANAGE : READ,
    connections: services.connections,
    outbound: services.outbound,
    onError,
  }
  // The vhost found before the upgrade rides on the request to the handler (a WeakMap entry per
  // upgrade cost more: its table grows with the upgrades in flight and GC must sweep it).
  app.decorateRequest('webrocketVhost', null)

  app.decorate('webrocket', {
    broadcast: async (path, channel, event, data) => {
      const vhost = await registry.get(path)
      if (!vhost || !(await vhost.hasChannel(channel))) return false
      await publishBroadcast(services.hub, vhost, channel, event, data)
      return true
    },
  } satisfies WebrocketApi)

  app.get<{ Params: { vhost: string } }>(`${config.prefix}/:vhost`, {
    websocket: true,
    schema: { hide: true },
    // §2.2: an unknown vhost path is a 404, before any upgrade. Callback style, so an upgrade to
    // a loaded vhost (nearly all of them) goes on without a promise and a microtask turn.
    preValidation: (request, reply, done) => {
      const path = `/${request.params.vhost}`
      const loaded = registry.cached(path)
      if (loaded) {
        request.webrocketVhost = loaded
        return done()
      }
      registry.get(path).then((vhost) => {
        if (!vhost) {
          reply.code(404).send({ statusCode: 404, error: 'Not Found', message: 'no such vhost' })
          return
        }
        request.webrocketVhost = vhost
        done()
      }, done)
    },
  }, (socket, request) => {
    const vhost = request.webrocketVhost!
    request.webrocketVhost = null
    const connection = acceptWebSocket(socket, request, 'webrocket', services)
    const session = new WebrocketSession(connection, vhost, context)
    connection.attach(session)
    if (vhost.deleted) session.close(1001, 'vhost deleted')
  })

  await app.register(webrocketRoutes, { services, db, registry })
}

export default fp(webrocket, { name: 'switchboard-webrocket', fastify: '5.x' })
