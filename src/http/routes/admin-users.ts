import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { SwitchboardError } from '../../core/errors.js'
import type { Services } from '../../core/services.js'
import { requireService, serviceSecurity } from '../auth/guards.js'
import { errors, Roles, Username, UserView } from '../schemas.js'

export const adminUserRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const guard = requireService(services)

  app.get('/api/admin/users', {
    preHandler: guard,
    schema: {
      operationId: 'listUsers',
      tags: ['admin'],
      summary: 'List users',
      security: serviceSecurity,
      response: { 200: Type.Array(UserView), ...errors(401, 403) },
    },
  }, async () => services.identity.list())

  app.post('/api/admin/users', {
    preHandler: guard,
    schema: {
      operationId: 'createUser',
      tags: ['admin'],
      summary: 'Create a user',
      security: serviceSecurity,
      body: Type.Object({
        username: Username,
        password: Type.String({ minLength: 1 }),
        email: Type.Optional(Type.Union([Type.String({ format: 'email' }), Type.Null()])),
        admin: Type.Optional(Type.Boolean()),
        roles: Type.Optional(Roles),
      }),
      response: { 201: UserView, ...errors(400, 401, 403, 409) },
    },
  }, async (request, reply) => {
    const user = await services.identity.create(request.body)
    return reply.code(201).send(user)
  })

  app.put('/api/admin/users/:username/roles', {
    preHandler: guard,
    schema: {
      operationId: 'setUserRoles',
      tags: ['admin'],
      summary: 'Replace a user\'s roles; every node applies them to open connections at once',
      security: serviceSecurity,
      params: Type.Object({ username: Type.String() }),
      body: Type.Object({ roles: Roles }),
      response: { 200: UserView, ...errors(400, 401, 403, 404) },
    },
  }, async (request) => {
    const user = await services.identity.setRoles(request.params.username, request.body.roles)
    if (!user) throw new SwitchboardError('NOT_FOUND', `no user ${request.params.username}`)
    return user
  })

  app.delete('/api/admin/users/:username', {
    preHandler: guard,
    schema: {
      operationId: 'deleteUser',
      tags: ['admin'],
      summary: 'Remove a user; every token issued to it stops working',
      security: serviceSecurity,
      params: Type.Object({ username: Type.String() }),
      response: { 204: Type.Null(), ...errors(401, 403, 404) },
    },
  }, async (request, reply) => {
    if (!(await services.identity.remove(request.params.username))) {
      throw new SwitchboardError('NOT_FOUND', `no user ${request.params.username}`)
    }
    return reply.code(204).send(null)
  })
}
