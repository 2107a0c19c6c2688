import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { Subscriber } from '../../src/core/hub/hub.js'
import type { HubMessage } from '../../src/core/hub/message.js'
import { REVOCATIONS_TOPIC, type Services } from '../../src/core/services.js'
import { acceptWebSocket } from '../../src/http/websocket/accept.js'
import type { ReallyContext } from './context.js'
import { Models } from './models.js'
import { reallyRoutes } from './routes.js'
import { ReallySession } from './session.js'
import { ObjectStore } from './store.js'

/** Open sessions of core users, so a removed user's connections get `token-expired` (spec §4.4). */
class RevocationWatch implements Subscriber {
  readonly #byUser = new Map<string, Set<ReallySession>>()

  add (session: ReallySession): void {
    if (session.username === null) return
    let sessions = this.#byUser.get(session.username)
    if (!sessions) this.#byUser.set(session.username, sessions = new Set())
    sessions.add(session)
  }

  remove (session: ReallySession): void {
    if (session.username === null) return
    const sessions = this.#byUser.get(session.username)
    if (sessions?.delete(session) && sessions.size === 0) this.#byUser.delete(session.username)
  }

  deliver (message: HubMessage): void {
    const { username } = message.data as { username?: unknown }
    if (typeof username !== 'string') return
    for (const session of this.#byUser.get(username) ?? []) session.revoked()
  }
}

/**
 * Really.io (spec §4): `ws://HOST<prefix>/<version>/socket` and the token routes. Objects live
 * in the core database, pushes cross nodes through the hub.
 */
async function really (app: FastifyInstance, { services }: { services: Services }): Promise<void> {
  const config = services.config.protocols.really
  const ctx: ReallyContext = {
    services,
    config,
    models: new Models(config.models),
    store: await ObjectStore.open(services.database, config.changeLogSize),
  }
  const watch = new RevocationWatch()
  await services.hub.subscribe(REVOCATIONS_TOPIC, watch)
  app.addHook('onClose', async () => { await services.hub.unsubscribe(REVOCATIONS_TOPIC, watch) })

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
    const accepted = acceptWebSocket(socket, request, 'really', services)
    // The close handler lives as long as the socket: it must not hold the upgrade request.
    const log = request.server.log
    const session = new ReallySession(ctx, accepted.connection, (s) => watch.add(s))
    accepted.onText((text) => session.receive(text))
    accepted.onClose(() => {
      watch.remove(session)
      session.closed().catch((err: unknown) => log.warn({ err }, 'really: closing subscriptions failed'))
    })
  })

  await app.register(reallyRoutes, { services })
}

export default fp(really, { name: 'switchboard-really', fastify: '5.x' })
