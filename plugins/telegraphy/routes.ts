import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { SwitchboardError } from '../../src/core/errors.js'
import type { Services } from '../../src/core/services.js'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { bearerSecurity, requireBearer, requireService, serviceSecurity } from '../../src/http/auth/guards.js'
import { refuseWhileCongested } from '../../src/http/fanout-admission.js'
import { mayPublish } from '../../src/http/auth/publish-access.js'
import { assertName } from '../../src/http/names.js'
import { errors, Username } from '../../src/http/schemas.js'
import { credentialRouteLimit } from '../../src/http/throttle/credential-routes.js'
import type { Narrowing } from './auth-grant.js'
import type { Gateway } from './gateway.js'
import { EventName } from './messages.js'

const AuthToken = Type.String({ description: 'one-time token for CONNECT (protocols.md §3.7)' })
const noop = () => {}

/**
 * The narrowing claims of the caller's own access token (README "Authorization"): its session gets
 * them too, and ends when that token is revoked.
 */
const narrowingOf = (request: FastifyRequest): Narrowing => ({ roles: request.user.roles, channels: request.user.channels, tokenId: request.user.jti })

/** Companion REST (design.md §3): auth tokens for CONNECT and the emit path for web apps. */
export const telegraphyRoutes: FastifyPluginAsyncTypebox<{ services: Services, gateway: Gateway }> = async (app, { services, gateway }) => {
  const ttl = gateway.config.authTokenTtl
  const service = requireService(services, () => true)
  const bearer = requireBearer(services)

  app.post('/api/telegraphy/auth-tokens', {
    // Any logged-in user may ask for itself; the handler checks whom it asks for. A narrowed
    // token is no service credential (requireService refuses it), but its user may ask for
    // itself: the auth token it gets is narrowed alike.
    preHandler: async function (this: FastifyInstance, request: FastifyRequest, reply: FastifyReply) {
      const guard = request.headers['x-api-key'] === undefined && request.headers.authorization !== undefined ? bearer : service
      return guard.call(this, request, reply, noop)
    },
    // Token issue is a credential route: under the per-address request budget (README).
    config: credentialRouteLimit(services),
    schema: {
      operationId: 'issueTelegraphyAuthToken',
      examples: { body: { username: 'admin' }, reply: { 201: { auth_token: 'f3b9c1d7e5a2468b0c9d1e3f5a7b9c2d', expires_in: 5 } } },
      tags: ['telegraphy'],
      summary: 'Issue a one-time auth token for CONNECT',
      description: 'A user (Bearer) gets a token for itself, narrowed like its access token; a service (X-API-Key or admin Bearer) may name any user. Single use, valid `authTokenTtl`.',
      security: serviceSecurity,
      body: Type.Optional(Type.Union([Type.Object({ username: Type.Optional(Username) }, { additionalProperties: false }), Type.Null()])),
      response: {
        201: Type.Object({ auth_token: AuthToken, expires_in: Type.Number({ description: 'seconds' }) }),
        ...errors(400, 401, 403, 404, 429),
      },
    },
  }, async (request, reply) => {
    const caller = request.caller!
    const asked = request.body?.username
    let username: string
    let narrowing: Narrowing = {}
    if (caller.kind === 'user' && (!caller.admin || caller.narrowed)) {
      if (asked !== undefined && asked !== caller.username) throw new SwitchboardError('FORBIDDEN', 'a user may only get tokens for itself')
      username = caller.username
      narrowing = narrowingOf(request)
    } else if (asked !== undefined) {
      username = asked
    } else if (caller.kind === 'user') {
      username = caller.username
    } else {
      throw new SwitchboardError('INVALID', 'body.username is required with an API key')
    }
    if (!(await services.identity.find(username))) throw new SwitchboardError('NOT_FOUND', `unknown user ${username}`)
    const authToken = await gateway.issueAuthToken(username, narrowing)
    return reply.code(201).send({ auth_token: authToken, expires_in: ttl / 1000 })
  })

  app.get(`${gateway.config.path.replace(/\/$/, '')}/get_token/`, {
    preHandler: requireBearer(services),
    config: credentialRouteLimit(services),
    schema: {
      operationId: 'telegraphyGetToken',
      examples: { reply: { 200: { auth_token: 'f3b9c1d7e5a2468b0c9d1e3f5a7b9c2d' } } },
      tags: ['telegraphy'],
      summary: 'Upstream-compatible token view (django_telegraphy.views.get_token)',
      security: bearerSecurity,
      response: { 200: Type.Object({ auth_token: AuthToken }), ...errors(401, 429) },
    },
  }, async (request) => {
    const caller = request.caller as { username: string }
    return { auth_token: await gateway.issueAuthToken(caller.username, narrowingOf(request)) }
  })

  app.post('/api/telegraphy/events', {
    preHandler: [requireService(services), refuseWhileCongested(services.outbound)],
    schema: {
      operationId: 'telegraphyEmitEvent',
      examples: { body: { name: 'demo.Item', data: { id: 1, state: 'new' } }, reply: { 202: { emitted: true } } },
      tags: ['telegraphy'],
      summary: 'Emit an event to its subscribers on every node',
      description: 'meta defaults: event_type "custom", verbose_name = name, timestamp = now (ISO 8601, UTC). With sendUnregistered off, an unregistered name is dropped (emitted: false). An admin Bearer is held to the access rules (`publish` on the event name, 403 when denied); an API key is not.',
      security: serviceSecurity,
      body: Type.Object({
        name: EventName,
        meta: Type.Optional(Type.Union([Type.Object({
          event_type: Type.Optional(Type.String({ minLength: 1 })),
          verbose_name: Type.Optional(Type.String()),
          timestamp: Type.Optional(Type.String()),
        }, { additionalProperties: true }), Type.Null()])),
        data: Type.Record(Type.String(), Type.Unknown()),
      }),
      response: { 202: Type.Object({ emitted: Type.Boolean() }), ...errors(400, 401, 403, 503) },
    },
  }, async (request, reply) => {
    const { name, meta, data } = request.body
    assertName('name', name)
    if (!(await mayPublish(services, request, 'telegraphy', name))) throw new SwitchboardError('FORBIDDEN', 'not allowed to publish this event')
    const emitted = await gateway.emit(name, { meta, data })
    return reply.code(202).send({ emitted })
  })
}
