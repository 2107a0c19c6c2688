import type { FastifyRequest } from 'fastify'
import type { Decision } from '../../core/access/authorizer.js'
import { userPrincipal } from '../../core/access/principal.js'
import type { AccessProtocol } from '../../core/access/vocabulary.js'
import type { Services } from '../../core/services.js'

/**
 * Whether the caller of a REST publish route may publish `resource` (issue 16, README
 * "Authorization"). A user's bearer token is asked about as that user, with its token's claims,
 * like a socket of the user. A service credential (an API key, a WebRocket vhost token) is the
 * deployment's own backend: it is not held to the rules — it could mint itself any user's token.
 * A request no guard identified is refused.
 */
export function mayPublish (services: Services, request: FastifyRequest, protocol: AccessProtocol, resource: string): Decision {
  const caller = request.caller
  if (caller === undefined) return false
  if (caller.kind === 'service') return true
  return services.access.authorize({ protocol, action: 'publish', resource, principal: userPrincipal(request.user), connectionId: `rest:${request.id}` })
}
