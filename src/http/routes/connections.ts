import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ConnectionView } from '../../core/cluster/connection-directory.js'
import { SwitchboardError } from '../../core/errors.js'
import type { Services } from '../../core/services.js'
import { requireService, serviceSecurity } from '../auth/guards.js'
import { errors } from '../schemas.js'

export const MAX_PAGE = 1000
const DEFAULT_PAGE = 100

export const ProtocolName = Type.Union(['syscache', 'webrocket', 'telegraphy', 'really', 'das'].map((p) => Type.Literal(p)))

const Coverage = {
  incomplete: Type.Boolean({ description: 'true when some live node did not answer within connections.timeout' }),
  missingNodes: Type.Array(Type.String()),
}

/**
 * The connections API (issue 20): every node's connections, listed and closed from any node
 * (service credentials). The nodes are asked over the hub (core/cluster/connection-directory.ts).
 */
export const connectionRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const guard = requireService(services)
  const directory = services.clusterConnections

  app.get('/api/connections', {
    preHandler: guard,
    schema: {
      tags: ['connections'],
      operationId: 'listConnections',
      examples: {
        reply: {
          200: {
            connections: [{
              id: 'c1f', node: 'n4k2x9', protocol: 'webrocket', user: 'joe', address: '203.0.113.7', connectedSince: 1796270400000,
              subscriptions: ['/echo/hello'], framesIn: 3, framesOut: 42, bytesIn: 180, bytesOut: 4200,
            }],
            nextCursor: 'c1f',
            incomplete: false,
            missingNodes: [],
          },
        },
      },
      summary: 'List the connections of every node, ordered by id, a page at a time',
      description: `\`limit\`: 1 to ${MAX_PAGE} (default ${DEFAULT_PAGE}); \`cursor\`: the \`nextCursor\` of the previous page. ` +
        '`user` matches the core user, or a WebRocket vhost user\'s name.',
      security: serviceSecurity,
      querystring: Type.Object({
        protocol: Type.Optional(ProtocolName),
        user: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
        limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}$' })),
        cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
      }, { additionalProperties: false }),
      response: {
        200: Type.Object({ connections: Type.Array(ConnectionView), nextCursor: Type.Union([Type.String(), Type.Null()]), ...Coverage }),
        ...errors(400, 401, 403, 503),
      },
    },
  }, async (request) => {
    const { protocol, user, cursor } = request.query
    const limit = request.query.limit === undefined ? DEFAULT_PAGE : Number(request.query.limit)
    if (limit < 1 || limit > MAX_PAGE) throw new SwitchboardError('INVALID', `limit must be from 1 to ${MAX_PAGE}`)
    return directory.list({ protocol, user, cursor, limit })
  })

  app.delete('/api/connections/:id', {
    preHandler: guard,
    schema: {
      tags: ['connections'],
      operationId: 'closeConnection',
      summary: 'Close a connection on whichever node holds it, in its protocol\'s own way',
      security: serviceSecurity,
      params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 256 }) }),
      response: { 204: Type.Null(), ...errors(401, 403, 404, 503) },
    },
  }, async (request, reply) => {
    const { closed, incomplete, missingNodes } = await directory.close(request.params.id)
    if (closed) return reply.code(204).send(null)
    // Not found, but a node that holds it may be among the silent ones: not a 404.
    if (incomplete) throw new SwitchboardError('UNAVAILABLE', `nodes did not answer: ${missingNodes.join(', ')}`)
    throw new SwitchboardError('NOT_FOUND', `no connection ${request.params.id}`)
  })

  app.delete('/api/users/:username/connections', {
    preHandler: guard,
    schema: {
      tags: ['connections'],
      operationId: 'closeUserConnections',
      examples: { reply: { 200: { closed: 2, incomplete: false, missingNodes: [] } } },
      summary: 'Close every connection of a user on every node, each in its protocol\'s own way',
      description: 'The user stays able to connect again: to keep it out, disable or remove it.',
      security: serviceSecurity,
      params: Type.Object({ username: Type.String({ minLength: 1, maxLength: 256 }) }),
      response: { 200: Type.Object({ closed: Type.Integer(), ...Coverage }), ...errors(401, 403, 503) },
    },
  }, async (request) => directory.closeUser(request.params.username))
}
