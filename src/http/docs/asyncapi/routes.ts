import type { FastifyInstance } from 'fastify'
import { asyncApiPage } from './page.js'

/**
 * `GET /docs/asyncapi.json` (the document, byte for byte what `switchboard asyncapi` writes for
 * the same config) and `GET /docs/asyncapi` (its page). Both are built once, at registration.
 */
export function registerAsyncApiRoutes (app: FastifyInstance, document: Record<string, unknown>): void {
  const json = asyncApiJson(document)
  const page = asyncApiPage(document)
  app.get('/docs/asyncapi.json', { schema: { hide: true } }, (_request, reply) => reply.type('application/json; charset=utf-8').send(json))
  app.get('/docs/asyncapi', { schema: { hide: true } }, (_request, reply) => reply.type('text/html; charset=utf-8').send(page))
}

/** The document as the committed file has it: two-space JSON and a final newline. */
export function asyncApiJson (document: Record<string, unknown>): string {
  return `${JSON.stringify(document, null, 2)}\n`
}
