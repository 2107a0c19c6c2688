import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { SwitchboardError } from '../../core/errors.js'
import type { Services } from '../../core/services.js'
import { bearerSecurity, requireBearer } from '../auth/guards.js'
import { errors, TokenPair } from '../schemas.js'
import { credentialRouteLimit } from '../throttle/credential-routes.js'
import { guardedCheck } from '../throttle/guarded.js'

/** Access + refresh token pair for a user, as every token route returns it. */
export async function issueTokenPair (services: Services, user: { username: string, admin: boolean }) {
  const access = services.tokens.issueAccess(user)
  return {
    access_token: access.token,
    token_type: 'Bearer' as const,
    expires_in: access.expiresIn,
    refresh_token: await services.tokens.issueRefresh(user.username),
  }
}

export const authRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  app.post('/api/auth/login', {
    config: credentialRouteLimit(services),
    schema: {
      operationId: 'login',
      tags: ['auth'],
      summary: 'Log in with a username and password',
      body: Type.Object({ username: Type.String({ minLength: 1 }), password: Type.String({ minLength: 1 }) }),
      response: { 200: TokenPair, ...errors(400, 401, 429, 503) },
    },
  }, async (request) => {
    const { username, password } = request.body
    const user = await guardedCheck(services, request, `user:${username}`, () => services.identity.verify(username, password))
    if (!user) throw new SwitchboardError('UNAUTHORIZED', 'wrong username or password')
    return issueTokenPair(services, user)
  })

  app.post('/api/auth/refresh', {
    config: credentialRouteLimit(services),
    schema: {
      operationId: 'refreshToken',
      tags: ['auth'],
      summary: 'Trade a refresh token (single use) for a new token pair',
      body: Type.Object({ refresh_token: Type.String({ minLength: 1 }) }),
      response: { 200: TokenPair, ...errors(400, 401, 429) },
    },
  }, async (request) => {
    const user = await guardedCheck(services, request, undefined, async () => {
      const username = await services.tokens.useRefresh(request.body.refresh_token)
      return username ? await services.identity.find(username) : null
    })
    if (!user) throw new SwitchboardError('UNAUTHORIZED', 'refresh token is unknown, used or expired')
    return issueTokenPair(services, user)
  })

  app.get('/api/auth/me', {
    preHandler: requireBearer(services),
    schema: {
      operationId: 'whoAmI',
      tags: ['auth'],
      summary: 'Who the bearer token belongs to',
      security: bearerSecurity,
      response: { 200: Type.Object({ username: Type.String(), admin: Type.Boolean() }), ...errors(401) },
    },
  }, async (request) => {
    const caller = request.caller as { username: string, admin: boolean }
    return { username: caller.username, admin: caller.admin }
  })
}
