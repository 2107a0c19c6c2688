import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { SwitchboardError } from '../../src/core/errors.js'
import { findReservedKey } from '../../src/core/limits/index.js'
import type { ReallyConfig } from '../../src/config/schema.js'
import type { PluginOptions } from '../../src/core/services.js'
import { errors } from '../../src/http/schemas.js'
import { credentialRouteLimit } from '../../src/http/throttle/credential-routes.js'
import { guardedCheck } from '../../src/http/throttle/guarded.js'
import { anonymousUid, issueReallyToken } from './tokens.js'

const TokenReply = (authType: string) => Type.Object({ authType: Type.Literal(authType), accessToken: Type.String() })

/**
 * Really's token endpoints (spec §4.8, design.md §3), under `protocols.really.prefix`.
 * Anonymous tokens carry the request body as `data`; password tokens are for core users
 * (`uid` = username, so removing the user revokes them).
 */
export const reallyRoutes: FastifyPluginAsyncTypebox<PluginOptions<ReallyConfig>> = async (app, { services, config }) => {
  const { prefix, anonymousTokenTtl, passwordTokenTtl } = config
  const { anonymousDataSize } = services.config.limits

  // Both are credential routes under the per-address request budget (README, "Throttling").
  app.post(`${prefix}/auth/anonymous/`, {
    config: credentialRouteLimit(services),
    schema: {
      operationId: 'reallyAnonymousToken',
      tags: ['really'],
      summary: 'Issue an anonymous Really access token',
      description: 'The optional JSON body becomes the token\'s `data` claim: at most `limits.anonymousDataSize` bytes of JSON ' +
        '(default 4kb; else 413), no Object.prototype names as keys (else 400).',
      body: Type.Optional(Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()])),
      response: { 200: TokenReply('anonymous'), ...errors(400, 413, 429) },
    },
  }, async (request) => {
    const data = (request.body ?? {}) as Record<string, unknown>
    // Issue 14: the data is signed into the token, which the client then sends with every
    // request; a large body would make every one of them large. Depth was bounded by the parser.
    const reserved = findReservedKey(data)
    if (reserved !== null) throw new SwitchboardError('INVALID', `data may not use the key "${reserved}"`)
    const size = Buffer.byteLength(JSON.stringify(data))
    if (size > anonymousDataSize) {
      throw Object.assign(new Error(`data is ${size} bytes of JSON, more than ${anonymousDataSize}`), { statusCode: 413, code: 'ANONYMOUS_DATA_TOO_LARGE' })
    }
    const accessToken = issueReallyToken(services.tokens, { authType: 'anonymous', uid: anonymousUid(), data }, anonymousTokenTtl)
    return { authType: 'anonymous' as const, accessToken }
  })

  app.post(`${prefix}/auth/password/login/`, {
    config: credentialRouteLimit(services),
    schema: {
      operationId: 'reallyPasswordLogin',
      tags: ['really'],
      summary: 'Log in with email or username and password for a Really access token',
      body: Type.Object({
        email: Type.Optional(Type.String({ minLength: 1 })),
        username: Type.Optional(Type.String({ minLength: 1 })),
        password: Type.String({ minLength: 1 }),
      }),
      response: { 200: TokenReply('password'), ...errors(400, 401, 429, 503) },
    },
  }, async (request) => {
    const { email, username, password } = request.body
    if ((email === undefined) === (username === undefined)) throw new SwitchboardError('INVALID', 'give either email or username')
    // The account is the login as given: by email and by username are two budgets of one user.
    const user = email !== undefined
      ? await guardedCheck(services, request, `email:${email}`, () => services.identity.verify(email, password, { byEmail: true }), 'really')
      : await guardedCheck(services, request, `user:${username}`, () => services.identity.verify(username as string, password), 'really')
    if (!user) throw new SwitchboardError('UNAUTHORIZED', 'wrong credentials')
    const accessToken = issueReallyToken(services.tokens, {
      authType: 'password',
      uid: user.username,
      data: { username: user.username, email: user.email },
    }, passwordTokenTtl)
    return { authType: 'password' as const, accessToken }
  })
}
