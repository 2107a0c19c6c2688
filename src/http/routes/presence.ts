import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { userPrincipal } from '../../core/access/principal.js'
import type { AccessProtocol } from '../../core/access/vocabulary.js'
import { SwitchboardError } from '../../core/errors.js'
import type { Services } from '../../core/services.js'
import { requireService, serviceSecurity } from '../auth/guards.js'
import { errors } from '../schemas.js'
import { ProtocolName } from './connections.js'

const Params = Type.Object({
  protocol: ProtocolName,
  channel: Type.String({ minLength: 1, maxLength: 1024, description: 'URL-encoded: WebRocket /echo/hello is %2Fecho%2Fhello' }),
})

/**
 * The access resource a subscriber of the presence channel was asked about, or null where a
 * channel is no resource of the rules (the DAS namespace): then only services may ask.
 */
function resourceOf (protocol: AccessProtocol, channel: string): string | null {
  if (protocol === 'syscache') return `events/${channel}`
  if (protocol === 'das') return null
  return channel
}

/**
 * Presence (issue 20): who is subscribed to a channel now, on every node. Services see every
 * channel; a user's bearer token sees the channels the rules let that user subscribe to.
 */
export const presenceRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const mayAsk = async (_caller: unknown, request: FastifyRequest): Promise<boolean> => {
    const { protocol, channel } = request.params as { protocol: AccessProtocol, channel: string }
    const resource = resourceOf(protocol, channel)
    if (resource === null) return false
    return services.access.authorize({ protocol, action: 'subscribe', resource, principal: userPrincipal(request.user), connectionId: `rest:${request.id}` })
  }
  const guard = requireService(services, mayAsk)
  const members = async (protocol: string, channel: string) => {
    if (!services.presence.enabled) throw new SwitchboardError('NOT_FOUND', 'presence is disabled (presence.enabled)')
    return services.presence.store.members(protocol, channel)
  }

  app.get('/api/presence/:protocol/:channel', {
    preHandler: guard,
    schema: {
      tags: ['presence'],
      operationId: 'getPresence',
      examples: {
        reply: {
          200: {
            protocol: 'webrocket',
            channel: '/echo/hello',
            users: ['joe'],
            connections: [{ id: 'c1f', user: 'joe', node: 'n4k2x9' }, { id: 'c20', user: 'joe', node: 'p7q1m3' }],
          },
        },
      },
      summary: 'The users and connections subscribed to a channel now, on every node',
      description: 'Channels: WebRocket `/vhost/channel`, Telegraphy the event name, syscache the event type, ' +
        'Really the R (object or collection path), DAS the namespace. The channel is URL-encoded in the path. ' +
        'A user\'s bearer token may ask where the access rules let that user subscribe; DAS only with service credentials.',
      security: serviceSecurity,
      params: Params,
      response: {
        200: Type.Object({
          protocol: Type.String(),
          channel: Type.String(),
          users: Type.Array(Type.String(), { description: 'distinct users, sorted; anonymous connections add none' }),
          connections: Type.Array(Type.Object({ id: Type.String(), user: Type.Union([Type.String(), Type.Null()]), node: Type.String() })),
        }),
        ...errors(400, 401, 403, 404, 503),
      },
    },
  }, async (request) => {
    const { protocol, channel } = request.params
    const found = await members(protocol, channel)
    const connections = found.map((m) => ({ id: m.connectionId, user: m.user, node: m.node })).sort((a, b) => a.id < b.id ? -1 : 1)
    return { protocol, channel, users: distinctUsers(found), connections }
  })

  app.get('/api/presence/:protocol/:channel/stats', {
    preHandler: guard,
    schema: {
      tags: ['presence'],
      operationId: 'getPresenceStats',
      examples: { reply: { 200: { protocol: 'webrocket', channel: '/echo/hello', connections: 2, users: 1 } } },
      summary: 'How many connections and distinct users are subscribed to a channel now, on every node',
      security: serviceSecurity,
      params: Params,
      response: {
        200: Type.Object({ protocol: Type.String(), channel: Type.String(), connections: Type.Integer(), users: Type.Integer() }),
        ...errors(400, 401, 403, 404, 503),
      },
    },
  }, async (request) => {
    const { protocol, channel } = request.params
    const found = await members(protocol, channel)
    return { protocol, channel, connections: found.length, users: distinctUsers(found).length }
  })
}

function distinctUsers (members: Array<{ user: string | null }>): string[] {
  return [...new Set(members.flatMap((m) => m.user === null ? [] : [m.user]))].sort()
}
