import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Services } from '../../core/services.js'

export const healthRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const started = Date.now()

  app.get('/health', {
    schema: {
      operationId: 'health',
      tags: ['ops'],
      summary: 'Liveness: the process answers',
      response: {
        200: Type.Object({
          status: Type.Literal('ok'),
          uptime: Type.Number({ description: 'seconds' }),
          connections: Type.Record(Type.String(), Type.Integer()),
          slowConsumersClosed: Type.Integer(),
        }),
      },
    },
  }, async () => ({
    status: 'ok' as const,
    uptime: (Date.now() - started) / 1000,
    connections: services.connections.countByProtocol(),
    slowConsumersClosed: services.connections.slowConsumersClosed,
  }))

  app.get('/ready', {
    schema: {
      operationId: 'ready',
      tags: ['ops'],
      summary: 'Readiness: accepting connections and every dependency answers',
      response: {
        200: Type.Object({ ready: Type.Literal(true) }),
        503: Type.Object({ ready: Type.Literal(false), unavailable: Type.Array(Type.String()) }),
      },
    },
  }, async (_request, reply) => {
    const unavailable = services.accepting ? await services.unavailable() : ['shutting down']
    if (unavailable.length) return reply.code(503).send({ ready: false as const, unavailable })
    return { ready: true as const }
  })
}
