import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply } from 'fastify'
import type { Services } from '../../core/services.js'
import { errors } from '../schemas.js'
import { credentialRouteLimit } from '../throttle/credential-routes.js'
import { guardedCheck } from '../throttle/guarded.js'
import { issueTokenPair } from './auth.js'

// RFC 6749 §5.2 error codes this server uses.
type OAuthError = 'invalid_request' | 'invalid_client' | 'invalid_grant' | 'unsupported_grant_type'

const OAuthErrorReply = Type.Object({
  error: Type.String(),
  error_description: Type.Optional(Type.String()),
}, { description: 'RFC 6749 §5.2 error' })

// Every field optional and a string: a missing or odd field must get an RFC error reply,
// not Fastify's validation shape.
const TokenRequest = Type.Object({
  grant_type: Type.Optional(Type.String()),
  username: Type.Optional(Type.String()),
  password: Type.Optional(Type.String()),
  refresh_token: Type.Optional(Type.String()),
  client_id: Type.Optional(Type.String()),
  client_secret: Type.Optional(Type.String()),
  scope: Type.Optional(Type.String()),
})

function oauthError (reply: FastifyReply, error: OAuthError, description: string) {
  const status = error === 'invalid_client' ? 401 : 400
  return reply.code(status).headers({ 'cache-control': 'no-store', pragma: 'no-cache' })
    .send({ error, error_description: description })
}

export const oauthRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const knownClient = (id: string | undefined) => id !== undefined && services.config.auth.oauthClients.includes(id)

  // A body that is not an object (or does not parse) is still an OAuth request gone wrong.
  // Throttling is not (RFC 6749 has no code for it): 429 and 503 keep Fastify's shape and
  // Retry-After, from the app's error handler.
  app.setErrorHandler((err: { statusCode?: number, message: string }, _request, reply) => {
    if ((err.statusCode ?? 500) >= 500 || err.statusCode === 429) throw err
    return oauthError(reply, 'invalid_request', err.message)
  })

  app.post('/oauth2/token', {
    config: credentialRouteLimit(services),
    schema: {
      operationId: 'oauthToken',
      tags: ['oauth'],
      summary: 'OAuth 2.0 token endpoint (password and refresh_token grants)',
      description: 'Form-encoded (RFC 6749) or JSON body. `client_id` must be one of `auth.oauthClients`.',
      consumes: ['application/x-www-form-urlencoded', 'application/json'],
      body: TokenRequest,
      response: {
        200: Type.Object({
          access_token: Type.String(),
          token_type: Type.Literal('Bearer'),
          expires_in: Type.Integer(),
          refresh_token: Type.String(),
          scope: Type.Optional(Type.String()),
        }),
        400: OAuthErrorReply,
        401: OAuthErrorReply,
        ...errors(429, 503),
      },
    },
  }, async (request, reply) => {
    const body = request.body ?? {}
    if (!body.grant_type) return oauthError(reply, 'invalid_request', 'grant_type is required')
    if (!knownClient(body.client_id)) return oauthError(reply, 'invalid_client', 'unknown client_id')
    let username: string | null
    if (body.grant_type === 'password') {
      if (!body.username || !body.password) return oauthError(reply, 'invalid_request', 'username and password are required')
      const { username: login, password } = body
      username = (await guardedCheck(services, request, `user:${login}`, () => services.identity.verify(login, password)))?.username ?? null
      if (!username) return oauthError(reply, 'invalid_grant', 'wrong username or password')
    } else if (body.grant_type === 'refresh_token') {
      if (!body.refresh_token) return oauthError(reply, 'invalid_request', 'refresh_token is required')
      const token = body.refresh_token
      username = await guardedCheck(services, request, undefined, () => services.tokens.useRefresh(token))
      if (!username) return oauthError(reply, 'invalid_grant', 'refresh token is unknown, used or expired')
    } else {
      return oauthError(reply, 'unsupported_grant_type', `grant_type ${body.grant_type} is not supported`)
    }
    const user = await services.identity.find(username)
    if (!user) return oauthError(reply, 'invalid_grant', 'the user no longer exists')
    const pair = await issueTokenPair(services, user)
    reply.headers({ 'cache-control': 'no-store', pragma: 'no-cache' })
    return body.scope ? { ...pair, scope: body.scope } : pair
  })

  app.post('/oauth2/revoke_token/', {
    config: credentialRouteLimit(services),
    schema: {
      operationId: 'oauthRevokeToken',
      tags: ['oauth'],
      summary: 'Revoke an access or refresh token (RFC 7009)',
      consumes: ['application/x-www-form-urlencoded', 'application/json'],
      body: Type.Object({
        token: Type.Optional(Type.String()),
        token_type_hint: Type.Optional(Type.String()),
        client_id: Type.Optional(Type.String()),
      }),
      response: { 200: Type.Null(), 400: OAuthErrorReply, 401: OAuthErrorReply, ...errors(429) },
    },
  }, async (request, reply) => {
    const body = request.body ?? {}
    if (!body.token) return oauthError(reply, 'invalid_request', 'token is required')
    if (!knownClient(body.client_id)) return oauthError(reply, 'invalid_client', 'unknown client_id')
    // RFC 7009 §2.2: an unknown or already revoked token is still a 200.
    await services.revocations.revokeToken(body.token)
    return reply.code(200).send(null)
  })
}
