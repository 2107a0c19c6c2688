import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { SwitchboardError } from '../../src/core/errors.js'
import type { Services } from '../../src/core/services.js'
import { requireService, serviceSecurity } from '../../src/http/auth/guards.js'
import { refuseWhileCongested } from '../../src/http/fanout-admission.js'
import { errors } from '../../src/http/schemas.js'
import { DATA_EVENT_TYPES, EmitRequestBody, isDataEventType, SubjectUpdateBody, type Delivery } from './messages.js'
import { groupResource } from './receive-gate.js'
import { typeOf } from './registry.js'

export interface DasRoutesOptions {
  services: Services
  /** Hands a delivery to the nodes whose sockets it targets (this one included, at once). */
  deliver (delivery: Delivery): Promise<void>
}

const PUBLISH_RULE = 'An admin Bearer token needs `publish` on the type and on each subject group (`subject_group.<name>`) ' +
  'under the access rules, else 403; an API key is not asked.'

const Accepted = Type.Object({ accepted: Type.Literal(true) }, { description: 'Handed to the nodes; each delivers to its own sockets' })

/** Companion REST of the DAS plugin (design.md §3): the publisher side of §5.7. */
export const dasRoutes: FastifyPluginAsyncTypebox<DasRoutesOptions> = async (app, { services, deliver }) => {
  const guard = requireService(services)

  /**
   * README "Authorization": an admin's Bearer token publishes as its user, so it needs `publish`
   * on the delivery's type and on every subject group it names; an API key is the backend
   * itself and is not asked. Denied: 403.
   */
  async function checkPublish (request: FastifyRequest, delivery: Delivery): Promise<void> {
    const { caller } = request
    if (caller?.kind !== 'user') return
    const principal = { kind: 'user' as const, username: caller.username, admin: caller.admin }
    const resources = [typeOf(delivery), ...(delivery.subjectGroups ?? []).map(groupResource)]
    for (const resource of resources) {
      if (!await services.access.authorize({ protocol: 'das', action: 'publish', resource, principal, connectionId: request.id })) {
        throw new SwitchboardError('FORBIDDEN', `${caller.username} may not publish ${resource}`)
      }
    }
  }

  const admission = refuseWhileCongested(services.outbound)

  app.post('/api/das/emit', {
    preHandler: [guard, admission],
    schema: {
      operationId: 'dasEmit',
      examples: { body: { type: 'new_event', data: { id: 'c1f0b0a2-1', title: 'Example', event_type: 'arrest', priority: 200 } }, reply: { 202: { accepted: true } } },
      tags: ['das'],
      summary: 'Emit a DAS data event',
      description: 'Sends `{type, ...data, mid, trace_id}` as Socket.IO event `type` to the authenticated sockets ' +
        'of namespace /das: the one with `sid`, those of `username`, or all. Each socket\'s bbox and filters apply ' +
        '(protocols.md §5.3, §5.7), and the access rules (a socket gets the type, and one of `subjectGroups` when ' +
        'given, only when it may receive them). Supported types: ' + DATA_EVENT_TYPES.join(', ') + '. ' + PUBLISH_RULE,
      security: serviceSecurity,
      body: EmitRequestBody,
      response: { 202: Accepted, ...errors(400, 401, 403, 503) },
    },
  }, async (request, reply) => {
    const { type, data, sid, username, subjectGroups } = request.body
    if (!isDataEventType(type)) throw new SwitchboardError('INVALID', `unsupported type "${type}"`)
    const delivery: Delivery = { kind: 'emit', type, data }
    if (sid !== undefined) delivery.sid = sid
    if (username !== undefined) delivery.username = username
    if (subjectGroups !== undefined) delivery.subjectGroups = subjectGroups
    await checkPublish(request, delivery)
    await deliver(delivery)
    return reply.code(202).send({ accepted: true as const })
  })

  app.post('/api/das/subject-updates', {
    preHandler: [guard, admission],
    schema: {
      operationId: 'dasSubjectUpdate',
      examples: { body: { subject: { id: 'subject-1', name: 'Truck 1', last_position: { type: 'Feature', geometry: { type: 'Point', coordinates: [36.8, -1.3] }, properties: {} } } }, reply: { 202: { accepted: true } } },
      tags: ['das'],
      summary: 'Publish a subject_update',
      description: 'Sends `{"type":"subject_update","data":{...subject, track?}}` to every authenticated socket ' +
        'whose bbox (if any) contains the subject\'s last position; `track` only to `trackUsers` ' +
        '(every recipient when omitted), and that may receive `subject_update` (and one of `subjectGroups` when ' +
        'given). Seed 004, protocols.md §5.7. ' + PUBLISH_RULE,
      security: serviceSecurity,
      body: SubjectUpdateBody,
      response: { 202: Accepted, ...errors(400, 401, 403, 503) },
    },
  }, async (request, reply) => {
    const { subject, track, trackUsers, subjectGroups } = request.body
    const delivery: Delivery = { kind: 'subject', subject }
    if (track !== undefined) delivery.track = track
    if (trackUsers !== undefined) delivery.trackUsers = trackUsers
    if (subjectGroups !== undefined) delivery.subjectGroups = subjectGroups
    await checkPublish(request, delivery)
    await deliver(delivery)
    return reply.code(202).send({ accepted: true as const })
  })
}
