import type { FastifyInstance } from 'fastify'
import { jsonDepthExceeds } from '../core/limits/index.js'

/**
 * Request bodies in JSON: nesting deeper than `limits.maxDepth` is a 400 before the body is
 * parsed (a deep body made the publish routes answer 500 when they serialised it), and
 * `__proto__` or `constructor.prototype` keys are refused by Fastify's own parser
 * (`error` rather than its default of keeping `constructor`).
 */
export function installJsonBodyParser (app: FastifyInstance, maxDepth: number): void {
  const parse = app.getDefaultJsonParser('error', 'error')
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (jsonDepthExceeds(body as string, maxDepth)) {
      const err = Object.assign(new Error(`body nested deeper than ${maxDepth} levels`), { statusCode: 400, code: 'FST_ERR_CTP_INVALID_JSON_DEPTH' })
      done(err, undefined)
      return
    }
    parse(request, body as string, done)
  })
}
