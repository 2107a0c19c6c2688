import { Type } from '@sinclair/typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { WebrocketUser } from '../../src/config/schema.js'
import { SwitchboardError } from '../../src/core/errors.js'
import type { Services } from '../../src/core/services.js'
import { requireService, serviceSecurity } from '../../src/http/auth/guards.js'
import { refuseWhileCongested } from '../../src/http/fanout-admission.js'
import { mayPublish } from '../../src/http/auth/publish-access.js'
import { assertName } from '../../src/http/names.js'
import { errors } from '../../src/http/schemas.js'
import type { WebrocketDb } from './db.js'
import { MANAGE, toMask, toNames } from './permissions.js'
import { publishBroadcast } from './publish.js'
import type { Vhost, VhostRegistry } from './vhost-registry.js'

// Admin and publish REST (spec §2.8 c, modelled on upstream's admin API; design.md §3).
// Vhosts appear in URLs without their leading slash: vhost `/echo` is `/api/webrocket/vhosts/echo`.
// Routes under one vhost also take `X-WebRocket-Token: <vhost access token>` (not in the OpenAPI
// security list: the shared docs define only the core schemes).

const tags = ['webrocket']
const VhostPath = Type.String({ pattern: '^/[^/?#]+$', description: 'the vhost path, e.g. /echo' })
const VhostParams = Type.Object({ vhost: Type.String({ pattern: '^[^/?#]+$', description: 'the vhost path without its leading slash' }) })
const Permissions = Type.Array(Type.Union([Type.Literal('READ'), Type.Literal('WRITE'), Type.Literal('MANAGE')]), { uniqueItems: true })
const UserView = Type.Object({ name: Type.String(), permissions: Permissions })
const UserBody = Type.Object({
  secret: Type.Optional(Type.String({ description: 'empty or absent: the user accepts any secret (spec §2.2)' })),
  permissions: Type.Optional({ ...Permissions, default: ['READ'] }),
}, { additionalProperties: false })
const NewUserBody = Type.Composite([Type.Object({ name: Type.String({ minLength: 1, maxLength: 255 }) }), UserBody], { additionalProperties: false })
const TokenReply = Type.Object({ accessToken: Type.String({ description: '40 hex characters; shown only now, stored hashed' }) })
const ChannelName = Type.String({ minLength: 1, maxLength: 1024, description: 'at most 255 UTF-8 bytes, no control characters' })

const pathOf = (params: { vhost: string }) => `/${params.vhost}`

export const webrocketRoutes: FastifyPluginAsyncTypebox<{ services: Services, db: WebrocketDb, registry: VhostRegistry }> = async (app, { services, db, registry }) => {
  /** Service callers only (vhosts as a whole). */
  const service = requireService(services)
  /**
   * Service callers, or (decisions, README) for this very vhost only: a core user whose Bearer
   * token names a vhost user holding MANAGE, or the vhost access token in `X-WebRocket-Token`.
   */
  const serviceOrManager = requireService(services, async (caller, request) => {
    const vhost = await registry.get(pathOf(request.params as { vhost: string }))
    const user = vhost ? await vhost.findUser(caller.username) : null
    return user !== null && (user.permissions & MANAGE) !== 0
  }) as (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>
  const manager = async (request: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
    const token = request.headers['x-webrocket-token']
    if (typeof token !== 'string') return serviceOrManager(request, reply)
    if (!(await db.tokenMatches(pathOf(request.params as { vhost: string }), token))) {
      return reply.code(401).send({ statusCode: 401, error: 'Unauthorized', message: 'invalid vhost access token' })
    }
    request.caller = { kind: 'service' }
  }
  const existing = async (params: { vhost: string }): Promise<Vhost> => {
    const vhost = await registry.get(pathOf(params))
    if (!vhost) throw new SwitchboardError('NOT_FOUND', `no vhost ${pathOf(params)}`)
    return vhost
  }
  const security = serviceSecurity

  app.get('/api/webrocket/vhosts', {
    preHandler: service,
    schema: {
      operationId: 'webrocketListVhosts',
      examples: { reply: { 200: { vhosts: [{ path: '/echo', users: 1, channels: 1 }] } } },
      tags, security, summary: 'List vhosts (upstream list_vhosts)',
      response: { 200: Type.Object({ vhosts: Type.Array(Type.Object({ path: Type.String(), users: Type.Integer(), channels: Type.Integer() })) }), ...errors(401, 403) },
    },
  }, async () => ({ vhosts: await db.vhosts() }))

  app.post('/api/webrocket/vhosts', {
    preHandler: service,
    schema: {
      operationId: 'webrocketCreateVhost',
      examples: { body: { path: '/chat', users: [{ name: 'ann', secret: 'ann-secret', permissions: ['READ', 'WRITE'] }] }, reply: { 201: { path: '/chat', accessToken: '3f9a1c7e5b2d4f6a8c0e1b3d5f7a9c2e4b6d8f0a' } } },
      tags, security, summary: 'Add a vhost (upstream add_vhost); the reply holds its access token',
      body: Type.Object({ path: VhostPath, users: Type.Optional(Type.Array(WebrocketUser)) }, { additionalProperties: false }),
      response: { 201: Type.Object({ path: Type.String(), accessToken: Type.String() }), ...errors(400, 401, 403, 409) },
    },
  }, async (request, reply) => {
    const { path, users = [] } = request.body
    const accessToken = await db.createVhost(path)
    if (accessToken === null) throw new SwitchboardError('CONFLICT', `vhost ${path} already exists`)
    for (const user of users) await db.putUser(path, user.name, user.secret, toMask(user.permissions), true, 'api')
    await registry.changed({ op: 'vhost', vhost: path })
    return reply.code(201).send({ path, accessToken })
  })

  app.get('/api/webrocket/vhosts/:vhost', {
    preHandler: manager,
    schema: {
      operationId: 'webrocketGetVhost',
      examples: { reply: { 200: { path: '/echo', users: [{ name: 'joe', permissions: ['READ', 'WRITE'] }], channels: 1 } } },
      tags, security, summary: 'Show a vhost (upstream show_vhost)', params: VhostParams,
      response: { 200: Type.Object({ path: Type.String(), users: Type.Array(UserView), channels: Type.Integer() }), ...errors(401, 403, 404) },
    },
  }, async (request) => {
    const vhost = await existing(request.params)
    const [users, channels] = await Promise.all([db.users(vhost.path), db.channels(vhost.path)])
    return { path: vhost.path, users: users.map((u) => ({ name: u.name, permissions: toNames(u.permissions) })), channels: channels.length }
  })

  app.delete('/api/webrocket/vhosts/:vhost', {
    preHandler: service,
    schema: {
      operationId: 'webrocketDeleteVhost',
      tags, security, summary: 'Delete a vhost, its users and channels; its connections are closed (1001)', params: VhostParams,
      response: { 204: Type.Null(), ...errors(401, 403, 404) },
    },
  }, async (request, reply) => {
    const path = pathOf(request.params)
    if (!(await db.deleteVhost(path))) throw new SwitchboardError('NOT_FOUND', `no vhost ${path}`)
    await registry.changed({ op: 'vhost', vhost: path })
    return reply.code(204).send(null)
  })

  app.put('/api/webrocket/vhosts/:vhost/token', {
    preHandler: manager,
    schema: {
      operationId: 'webrocketRegenerateVhostToken',
      examples: { reply: { 200: { accessToken: '3f9a1c7e5b2d4f6a8c0e1b3d5f7a9c2e4b6d8f0a' } } },
      tags, security, summary: 'Regenerate the vhost access token (upstream regenerate_vhost_token)', params: VhostParams,
      response: { 200: TokenReply, ...errors(401, 403, 404) },
    },
  }, async (request) => {
    const accessToken = await db.regenerateToken(pathOf(request.params))
    if (accessToken === null) throw new SwitchboardError('NOT_FOUND', `no vhost ${pathOf(request.params)}`)
    return { accessToken }
  })

  app.get('/api/webrocket/vhosts/:vhost/channels', {
    preHandler: manager,
    schema: {
      operationId: 'webrocketListChannels',
      examples: { reply: { 200: { channels: ['hello'] } } },
      tags, security, summary: 'List channels (upstream list_channels)', params: VhostParams,
      response: { 200: Type.Object({ channels: Type.Array(Type.String()) }), ...errors(401, 403, 404) },
    },
  }, async (request) => ({ channels: await db.channels((await existing(request.params)).path) }))

  app.post('/api/webrocket/vhosts/:vhost/channels', {
    preHandler: manager,
    schema: {
      operationId: 'webrocketCreateChannel',
      examples: { body: { name: 'hello' }, reply: { 200: { name: 'hello' }, 201: { name: 'hello' } } },
      tags, security, summary: 'Add a channel (upstream add_channel); 200 if it existed', params: VhostParams,
      body: Type.Object({ name: ChannelName }, { additionalProperties: false }),
      response: { 200: Type.Object({ name: Type.String() }), 201: Type.Object({ name: Type.String() }), ...errors(400, 401, 403, 404) },
    },
  }, async (request, reply) => {
    assertName('name', request.body.name)
    const vhost = await existing(request.params)
    const created = await db.createChannel(vhost.path, request.body.name)
    return reply.code(created ? 201 : 200).send({ name: request.body.name })
  })

  app.delete('/api/webrocket/vhosts/:vhost/channels', {
    preHandler: manager,
    schema: {
      operationId: 'webrocketDeleteChannels',
      tags, security, summary: 'Delete every channel (upstream clear_channels); subscribers stop receiving them', params: VhostParams,
      response: { 204: Type.Null(), ...errors(401, 403, 404) },
    },
  }, async (request, reply) => {
    const vhost = await existing(request.params)
    await db.clearChannels(vhost.path)
    await registry.changed({ op: 'channels', vhost: vhost.path })
    return reply.code(204).send(null)
  })

  app.delete('/api/webrocket/vhosts/:vhost/channels/:channel', {
    preHandler: manager,
    schema: {
      operationId: 'webrocketDeleteChannel',
      tags, security, summary: 'Delete a channel (upstream delete_channel); its subscribers stop receiving it',
      params: Type.Composite([VhostParams, Type.Object({ channel: Type.String() })]),
      response: { 204: Type.Null(), ...errors(401, 403, 404) },
    },
  }, async (request, reply) => {
    const vhost = await existing(request.params)
    const { channel } = request.params
    if (!(await db.deleteChannel(vhost.path, channel))) throw new SwitchboardError('NOT_FOUND', `no channel ${channel}`)
    await registry.changed({ op: 'channel', vhost: vhost.path, name: channel })
    return reply.code(204).send(null)
  })

  app.get('/api/webrocket/vhosts/:vhost/users', {
    preHandler: manager,
    schema: {
      operationId: 'webrocketListUsers',
      examples: { reply: { 200: { users: [{ name: 'joe', permissions: ['READ', 'WRITE'] }] } } },
      tags, security, summary: 'List the vhost users and their permissions', params: VhostParams,
      response: { 200: Type.Object({ users: Type.Array(UserView) }), ...errors(401, 403, 404) },
    },
  }, async (request) => {
    const users = await db.users((await existing(request.params)).path)
    return { users: users.map((u) => ({ name: u.name, permissions: toNames(u.permissions) })) }
  })

  app.post('/api/webrocket/vhosts/:vhost/users', {
    preHandler: manager,
    schema: {
      operationId: 'webrocketCreateUser',
      examples: { body: { name: 'ann', secret: 'ann-secret', permissions: ['READ'] }, reply: { 201: { name: 'ann', permissions: ['READ'] } } },
      tags, security, summary: 'Add a vhost user; 409 if the name is taken', params: VhostParams, body: NewUserBody,
      response: { 201: UserView, ...errors(400, 401, 403, 404, 409) },
    },
  }, async (request, reply) => {
    assertName('name', request.body.name)
    const vhost = await existing(request.params)
    const { name, secret = '', permissions = ['READ'] } = request.body
    const { created } = await db.putUser(vhost.path, name, secret, toMask(permissions), false, 'api')
    if (!created) throw new SwitchboardError('CONFLICT', `user ${name} already exists`)
    await registry.changed({ op: 'user', vhost: vhost.path, name })
    return reply.code(201).send({ name, permissions: toNames(toMask(permissions)) })
  })

  app.put('/api/webrocket/vhosts/:vhost/users/:name', {
    preHandler: manager,
    schema: {
      operationId: 'webrocketPutUser',
      examples: { body: { secret: 'ann-secret', permissions: ['READ', 'WRITE'] }, reply: { 200: { name: 'ann', permissions: ['READ', 'WRITE'] }, 201: { name: 'ann', permissions: ['READ', 'WRITE'] } } },
      tags, security, summary: 'Create or replace a vhost user (secret and permissions)',
      params: Type.Composite([VhostParams, Type.Object({ name: Type.String({ minLength: 1, maxLength: 255 }) })]), body: UserBody,
      response: { 200: UserView, 201: UserView, ...errors(400, 401, 403, 404) },
    },
  }, async (request, reply) => {
    assertName('name', request.params.name)
    const vhost = await existing(request.params)
    const { name } = request.params
    const { secret = '', permissions = ['READ'] } = request.body
    const { created } = await db.putUser(vhost.path, name, secret, toMask(permissions), true, 'api')
    await registry.changed({ op: 'user', vhost: vhost.path, name })
    return reply.code(created ? 201 : 200).send({ name, permissions: toNames(toMask(permissions)) })
  })

  app.delete('/api/webrocket/vhosts/:vhost/users/:name', {
    preHandler: manager,
    schema: {
      operationId: 'webrocketDeleteUser',
      tags, security, summary: 'Remove a vhost user; its connections are closed (1008)',
      params: Type.Composite([VhostParams, Type.Object({ name: Type.String() })]),
      response: { 204: Type.Null(), ...errors(401, 403, 404) },
    },
  }, async (request, reply) => {
    const vhost = await existing(request.params)
    const { name } = request.params
    if (!(await db.deleteUser(vhost.path, name))) throw new SwitchboardError('NOT_FOUND', `no user ${name}`)
    await registry.changed({ op: 'user', vhost: vhost.path, name })
    return reply.code(204).send(null)
  })

  app.post('/api/webrocket/vhosts/:vhost/broadcast', {
    preHandler: [manager, refuseWhileCongested(services.outbound)],
    schema: {
      operationId: 'webrocketBroadcast',
      examples: { body: { channel: 'hello', event: 'greeting', data: { text: 'hi' } }, reply: { 200: { broadcasted: 'hello' } } },
      tags, security, summary: 'Broadcast {event, channel, data} to the channel subscribers on every node; the channel must exist',
      params: VhostParams,
      body: Type.Object({ channel: ChannelName, event: Type.String({ minLength: 1 }), data: Type.Optional(Type.Unknown()) }, { additionalProperties: false }),
      response: { 200: Type.Object({ broadcasted: Type.String() }), ...errors(400, 401, 403, 404, 503) },
    },
  }, async (request) => {
    const { channel, event, data } = request.body
    assertName('channel', channel)
    assertName('event', event)
    // A user's bearer is held to the rules on `/vhost/channel`; a service or the vhost token is not.
    if (!(await mayPublish(services, request, 'webrocket', `${pathOf(request.params)}/${channel}`))) {
      throw new SwitchboardError('FORBIDDEN', 'not allowed to publish on this channel')
    }
    const vhost = await existing(request.params)
    if (!(await vhost.hasChannel(channel))) throw new SwitchboardError('NOT_FOUND', `no channel ${channel}`)
    await publishBroadcast(services.hub, vhost, channel, event, data)
    return { broadcasted: channel }
  })
}
