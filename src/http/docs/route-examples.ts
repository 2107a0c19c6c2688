/**
 * Request and reply examples of a REST route, written next to its schema
 * (`schema.examples = { body, reply: { 200: … } }`) and moved by the OpenAPI transform onto the
 * body and reply schemas, which @fastify/swagger turns into the media types' `example`. Kept out
 * of the validation schemas themselves: those are shared between routes and compiled once.
 */

export interface RouteExamples {
  /** A request body the route accepts. */
  body?: unknown
  /** A reply per status code. */
  reply?: Record<number, unknown>
}

declare module 'fastify' {
  interface FastifySchema {
    examples?: RouteExamples
  }
}

type Schema = Record<string, unknown> & { examples?: RouteExamples, body?: object, response?: Record<string, object> }

/** The route schema as the OpenAPI document should show it: its examples on its body and replies. */
export function withRouteExamples (schema: Schema | undefined): Schema | undefined {
  const examples = schema?.examples
  if (!schema || !examples) return schema
  const shown: Schema = { ...schema }
  if (examples.body !== undefined && schema.body) shown.body = { ...schema.body, examples: [examples.body] }
  if (examples.reply) {
    shown.response = { ...schema.response }
    for (const [code, value] of Object.entries(examples.reply)) {
      const reply = schema.response?.[code]
      if (!reply) throw new Error(`route example for status ${code}, which the route does not declare`)
      shown.response[code] = { ...reply, examples: [value] }
    }
  }
  return shown
}
