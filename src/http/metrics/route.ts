import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import type { Services } from '../../core/services.js'
import { matchesKey } from '../auth/guards.js'
import { errorRef } from '../schemas.js'
import { CONTENT_TYPE, SwitchboardMetrics } from './switchboard-metrics.js'

/** The key a scraper presented: `Authorization: Bearer KEY` (Prometheus' own `authorization`) or `X-API-Key`. */
function presentedKey (request: FastifyRequest): string | undefined {
  const key = request.headers['x-api-key']
  if (typeof key === 'string') return key
  const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')
  return match?.[1]
}

/**
 * `GET metrics.path` (default `/metrics`): this node's metrics in Prometheus text format, open
 * to anyone unless `metrics.apiKey` is set. Not under the credential throttle: a scraper with a
 * wrong key is a misconfiguration seen at once (401 in Prometheus' targets), and its failures
 * would otherwise throttle the address of the REST clients behind the same proxy.
 */
export const metricsRoute: FastifyPluginAsyncTypebox<{ services: Services, protocols: readonly string[] }> = async (app, { services, protocols }) => {
  const { path, apiKey } = services.config.metrics
  const metrics = new SwitchboardMetrics(services, protocols)
  app.addHook('onClose', async () => metrics.detach())
  const keys = apiKey === null ? [] : [apiKey]

  app.get(path, {
    schema: {
      operationId: 'metrics',
      tags: ['ops'],
      summary: 'Prometheus metrics of this node (switchboard_* series, text format)',
      description: 'Open unless metrics.apiKey is set; then `Authorization: Bearer KEY` or `X-API-Key: KEY`. README "Observability" lists the series.',
      ...(apiKey === null ? {} : { security: [{ apiKey: [] }, { bearerAuth: [] }] }),
      response: {
        200: { description: 'Prometheus text exposition format 0.0.4', content: { [CONTENT_TYPE]: { schema: Type.String() } } },
        401: errorRef,
      },
    },
  }, async (request, reply) => {
    if (apiKey !== null) {
      const key = presentedKey(request)
      if (key === undefined || !matchesKey(key, keys)) {
        return reply.code(401).header('www-authenticate', 'Bearer').send({ statusCode: 401, error: 'Unauthorized', message: 'metrics.apiKey required' })
      }
    }
    return reply.type(CONTENT_TYPE).send(await metrics.scrape())
  })
}
