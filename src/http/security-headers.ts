import helmet from '@fastify/helmet'
import type { FastifyInstance } from 'fastify'

/**
 * One Content-Security-Policy for every HTTP response. Its strictest user is Swagger UI at
 * `/docs`, served offline by @fastify/swagger-ui: its page loads its scripts and styles from
 * `/docs/static/` (no inline script), its logo is a `data:` image, and it injects `<style>`
 * elements as it renders (hence `'unsafe-inline'` for styles, scripts stay `'self'`;
 * test/browser/cross-origin.test.ts fails on any violation while the page renders).
 *
 * Unlike helmet's defaults there is no `upgrade-insecure-requests`: the gateway is often reached
 * over plain HTTP (a port on a private network, a TLS-terminating proxy in front), where that
 * directive would send every script of the page to an https:// URL nobody answers. And no
 * `https:` sources either: nothing is loaded from anywhere but this server.
 * @fastify/swagger-ui's own `staticCSP` is not used because it adds both (and validator.swagger.io).
 */
export const CONTENT_SECURITY_POLICY: Record<string, string[]> = {
  'default-src': ["'self'"],
  'base-uri': ["'self'"],
  'connect-src': ["'self'"],
  'font-src': ["'self'", 'data:'],
  'form-action': ["'self'"],
  'frame-ancestors': ["'self'"],
  'img-src': ["'self'", 'data:'],
  'object-src': ["'none'"],
  'script-src': ["'self'"],
  'script-src-attr': ["'none'"],
  'style-src': ["'self'", "'unsafe-inline'"],
}

/**
 * helmet's security headers on every HTTP response (design.md §5): CSP above, HSTS, nosniff,
 * frame and referrer policies, cross-origin opener/resource policies. Cross-Origin-Resource-
 * Policy `same-origin` does not get in the way of CORS: it applies to no-cors loads only, and
 * the REST calls of a web app on another origin are CORS requests (src/http/cors.ts).
 *
 * Applied as a response is sent (onSend), not as each request arrives (helmet's own global
 * onRequest hook): an accepted WebSocket upgrade sends no Fastify reply (its 101 is written by
 * `ws` and needs none of these), so it no longer pays for building and setting nine headers it
 * never sends, a visible share of a connection's cost (issue 21). Every response that is sent,
 * a refused upgrade's 403/404/429/503 included, still gets them all.
 */
export async function registerSecurityHeaders (app: FastifyInstance): Promise<void> {
  await app.register(helmet, {
    global: false,
    contentSecurityPolicy: { useDefaults: false, directives: CONTENT_SECURITY_POLICY },
  })
  app.addHook('onSend', (request, reply, payload, done) => {
    // `reply.helmet` comes from helmet's onRequest hook: a reply sent before it ran (a CORS
    // preflight, a URL Fastify refuses before any hook) got no headers before this either.
    if (typeof reply.helmet === 'function') reply.helmet()
    done(null, payload)
  })
}
