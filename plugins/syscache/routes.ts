import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { SwitchboardError } from '../../src/core/errors.js'
import type { Services } from '../../src/core/services.js'
import { requireService, serviceSecurity } from '../../src/http/auth/guards.js'
import { refuseWhileCongested } from '../../src/http/fanout-admission.js'
import { findReservedKey } from '../../src/core/limits/index.js'
import { assertName } from '../../src/http/names.js'
import { errors } from '../../src/http/schemas.js'
import { publishEvent } from './events.js'
import { EVENT_TYPES, isEventType } from './frames.js'

/** Companion REST of syscache (design.md §3): how a server-side application pushes events (spec §1.8). */
export const syscacheRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  app.post('/api/syscache/events/:type', {
    preHandler: [requireService(services), refuseWhileCongested(services.outbound)],
    schema: {
      operationId: 'syscachePushEvent',
      examples: { body: { state: 'running', jobs: 2 } },
      tags: ['syscache'],
      summary: 'Push a syscache event',
      description: `Keeps the JSON body as the last event of its type (replayed on subscribe) and pushes it to every
connection subscribed to that type, on every node. Known types: ${EVENT_TYPES.join(', ')}; any other is 404.`,
      security: serviceSecurity,
      params: Type.Object({ type: Type.String({ description: EVENT_TYPES.join(' | ') }) }),
      body: Type.Unknown({ description: 'the event payload, any JSON value' }),
      response: { 204: Type.Null(), ...errors(400, 401, 403, 404, 503) },
    },
  }, async (request, reply) => {
    const { type } = request.params
    assertName('type', type)
    if (!isEventType(type)) throw new SwitchboardError('NOT_FOUND', `no syscache event type ${type}`)
    if (request.body === undefined) throw new SwitchboardError('INVALID', 'the body (the event payload) is required')
    // The payload is stored (last of its type) and replayed to every subscriber: no Object.prototype
    // names in it (issue 14). Its depth was bounded by the JSON body parser.
    const reserved = findReservedKey(request.body)
    if (reserved !== null) throw new SwitchboardError('INVALID', `the payload may not use the key "${reserved}"`)
    await publishEvent(services, type, request.body)
    return reply.code(204).send(null)
  })
}
