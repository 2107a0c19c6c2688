import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { MAX_CHANNEL_CLAIMS } from '../../core/access/channel-claims.js'
import { MAX_GLOB_LENGTH } from '../../core/access/glob.js'
import { checkNarrowing } from '../../core/access/narrowing.js'
import { ROLE_PATTERN } from '../../core/access/vocabulary.js'
import { SwitchboardError } from '../../core/errors.js'
import type { Services } from '../../core/services.js'
import { requireService, serviceSecurity } from '../auth/guards.js'
import { errors, Username } from '../schemas.js'

/** `POST /api/auth/tokens`: a service mints a user an access token that may do less than the user. */
export const narrowedTokenRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  app.post('/api/auth/tokens', {
    preHandler: requireService(services),
    schema: {
      operationId: 'issueNarrowedToken',
      tags: ['auth'],
      summary: 'Mint a narrowed access token for a user (service only; claims can only narrow)',
      description: '`roles`: the only roles that count for the token, among the user\'s own (`admin` for an admin). ' +
        '`channels`: resource globs (`protocol:glob` for one protocol); every resource the token reaches must match one, ' +
        'in addition to the access rules. No refresh token: a narrowed token is not renewed into a wider one.',
      security: serviceSecurity,
      body: Type.Object({
        username: Username,
        roles: Type.Optional(Type.Array(Type.String({ pattern: ROLE_PATTERN }), { maxItems: 64 })),
        channels: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: MAX_GLOB_LENGTH + 16 }), { maxItems: MAX_CHANNEL_CLAIMS })),
        expiresIn: Type.Optional(Type.Integer({ minimum: 1, description: 'seconds; at most auth.accessTokenTtl' })),
      }, { additionalProperties: false }),
      response: {
        200: Type.Object({
          access_token: Type.String(),
          token_type: Type.Literal('Bearer'),
          expires_in: Type.Integer({ description: 'seconds' }),
          roles: Type.Optional(Type.Array(Type.String())),
          channels: Type.Optional(Type.Array(Type.String())),
        }),
        ...errors(400, 401, 403, 404),
      },
    },
  }, async (request) => {
    const { username, roles, channels, expiresIn } = request.body
    const user = await services.identity.find(username)
    if (!user) throw new SwitchboardError('NOT_FOUND', `no user ${username}`)
    const narrowing = checkNarrowing(user, { roles, channels, ttlMs: expiresIn === undefined ? undefined : expiresIn * 1000 }, services.tokens.accessTtlMs)
    const access = services.tokens.issueAccess(user, narrowing)
    return { access_token: access.token, token_type: 'Bearer' as const, expires_in: access.expiresIn, roles: narrowing.roles, channels: narrowing.channels }
  })
}
