import { hash, timingSafeEqual } from 'node:crypto'
import type { FastifyReply, FastifyRequest, preHandlerHookHandler } from 'fastify'
import type { Services } from '../../core/services.js'
import { guardedCheck } from '../throttle/guarded.js'
import { verifiedBearer } from './bearer-jwt.js'

/** Who called a REST route. */
export type Caller =
  | { kind: 'service' }
  /**
   * `narrowed`: the token carries `roles` or `channels` claims (POST /api/auth/tokens);
   * `tokenId`: its `jti`, so what it obtains can be ended when it is revoked.
   */
  | { kind: 'user', username: string, admin: boolean, narrowed: boolean, tokenId: string }

declare module 'fastify' {
  interface FastifyRequest {
    caller?: Caller
  }
}

/** OpenAPI security requirements matching the guards below. */
export const bearerSecurity: Array<Record<string, string[]>> = [{ bearerAuth: [] }]
export const serviceSecurity: Array<Record<string, string[]>> = [{ apiKey: [] }, { bearerAuth: [] }]

const digest = (value: string) => hash('sha256', value, 'buffer')

/** Whether `presented` is one of `keys`, compared with each in constant time. */
export function matchesKey (presented: string, keys: readonly string[]): boolean {
  const wanted = digest(presented)
  let match = false
  for (const key of keys) match = timingSafeEqual(digest(key), wanted) || match
  return match
}

/** Compares an API key with every configured key in constant time. */
export function isApiKey (services: Services, presented: string): boolean {
  return matchesKey(presented, services.config.auth.apiKeys)
}

function deny (reply: FastifyReply, statusCode: 401 | 403, message: string) {
  if (statusCode === 401) reply.header('www-authenticate', 'Bearer')
  return reply.code(statusCode).send({ statusCode, error: statusCode === 401 ? 'Unauthorized' : 'Forbidden', message })
}

// A presented credential is checked under the throttle: wrong API keys and bearer tokens count
// as failures of the caller's address, and past its budget every credential from it is refused
// unchecked (429 + Retry-After, thrown to the error handler). A request presenting none is not
// a guess and is not counted. The token is verified by @fastify/jwt (bearer-jwt.ts), configured
// from the core's access-token verification.
function userFromBearer (services: Services, request: FastifyRequest): Promise<Caller | null> {
  return guardedCheck(services, request, undefined, async () => {
    const claims = await verifiedBearer(request)
    return claims ? { kind: 'user', username: claims.username, admin: claims.admin, narrowed: claims.roles !== undefined || claims.channels !== undefined, tokenId: claims.jti } : null
  })
}

/** Requires a valid access token (`Authorization: Bearer …`). */
export function requireBearer (services: Services): preHandlerHookHandler {
  return async function bearerGuard (request, reply) {
    if (!request.headers.authorization) return deny(reply, 401, 'missing bearer token')
    const caller = await userFromBearer(services, request)
    if (!caller) return deny(reply, 401, 'invalid or expired access token')
    request.caller = caller
  }
}

/**
 * Requires service credentials: a configured `X-API-Key`, or the Bearer token of an admin
 * user. `allowUser` lets a route admit some non-admin users too (it decides what they may do).
 * A narrowed token is never a service credential: it could mint itself a wider one.
 */
export function requireService (services: Services, allowUser?: (caller: Extract<Caller, { kind: 'user' }>, request: FastifyRequest) => boolean | Promise<boolean>): preHandlerHookHandler {
  return async function serviceGuard (request, reply) {
    const key = request.headers['x-api-key']
    if (typeof key === 'string') {
      if (!await guardedCheck(services, request, undefined, async () => isApiKey(services, key))) return deny(reply, 401, 'unknown API key')
      request.caller = { kind: 'service' }
      return
    }
    if (!request.headers.authorization) return deny(reply, 401, 'missing X-API-Key or bearer token')
    const caller = await userFromBearer(services, request)
    if (!caller || caller.kind !== 'user') return deny(reply, 401, 'invalid or expired access token')
    if (caller.narrowed) return deny(reply, 403, 'a narrowed token is not a service credential')
    if (!caller.admin && !(allowUser && await allowUser(caller, request))) return deny(reply, 403, 'not allowed for this user')
    request.caller = caller
  }
}
