import cors from '@fastify/cors'
import type { FastifyInstance } from 'fastify'
import type { Config } from '../config/schema.js'

type CorsConfig = Config['server']['cors']

/** Request headers a web app sends to the REST routes (auth, bodies, service keys, tracing). */
export const CORS_ALLOWED_HEADERS = ['Authorization', 'Content-Type', 'X-API-Key', 'X-Request-Id', 'X-WebRocket-Token']
/** Response headers a web app may read: why it was refused, and when to retry. */
const CORS_EXPOSED_HEADERS = ['WWW-Authenticate', 'Retry-After', 'X-Request-Id', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset']
const CORS_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE']

const corsOff = (origins: CorsConfig['origins']) => origins !== '*' && origins.length === 0

/** Whether a page on `origin` may use the server cross-origin (`"*"` = any page). */
export function corsAllows (origins: CorsConfig['origins'], origin: string | undefined): boolean {
  if (origin === undefined) return false
  return origins === '*' || origins.includes(origin)
}

/**
 * CORS on every REST route (@fastify/cors), for the origins in `server.cors.origins`; none
 * configured = not registered, so no response carries a CORS header and preflights are 404s.
 *
 * A refused origin gets no CORS header at all (not even on its preflight, which is then a 404),
 * rather than @fastify/cors's usual allow-lists without `Access-Control-Allow-Origin`.
 *
 * Credentials: allowed for listed origins (the operator trusts those pages). With `"*"` the
 * origin is reflected without `Access-Control-Allow-Credentials`: no REST route reads a cookie
 * (tokens travel in `Authorization` / `X-API-Key`, which CORS allows as plain headers), and any
 * page on the web riding a browser's ambient credentials is exactly what a wildcard must not
 * permit if one ever appears.
 */
export async function registerCors (app: FastifyInstance, config: CorsConfig): Promise<void> {
  const { origins } = config
  if (corsOff(origins)) return
  await app.register(cors, {
    origin: (origin, callback) => callback(null, corsAllows(origins, origin)),
    credentials: origins !== '*',
    methods: CORS_METHODS,
    allowedHeaders: CORS_ALLOWED_HEADERS,
    exposedHeaders: CORS_EXPOSED_HEADERS,
    maxAge: Math.floor(config.maxAge / 1000),
  })
}

/**
 * The same origins for Socket.IO's long-polling requests (its `cors` option), always with
 * credentials: socket.io-client 2.x polls with `withCredentials` on, and a browser drops a
 * credentialed response without `Access-Control-Allow-Credentials: true`. Safe even with `"*"`:
 * Engine.IO sets no cookie here and DAS authenticates inside the socket (`authorization`).
 * `undefined` = no CORS headers, as on REST.
 */
export function socketIoCors (config: CorsConfig): { origin: (origin: string | undefined, callback: (err: Error | null, allow?: boolean) => void) => void, credentials: true, methods: string[] } | undefined {
  const { origins } = config
  if (corsOff(origins)) return undefined
  return {
    origin: (origin, callback) => callback(null, corsAllows(origins, origin)),
    credentials: true,
    methods: ['GET', 'POST'],
  }
}
