import type { Decision } from '../../src/core/access/authorizer.js'
import type { Principal } from '../../src/core/connection.js'
import type { Services } from '../../src/core/services.js'

// Telegraphy's questions to the authorizer (README "Authorization"): the resource is the event
// name. A subscription is decided once, when it is made, and again when it could have changed:
// at RECONNECT (the session comes back from the store) and when its user's roles change. Every
// event of a subscription is of the name decided, so the fan-out asks nothing.

/** May `principal` receive the events named `eventName` (SUBSCRIBE)? */
export function maySubscribe (services: Services, principal: Principal | null, eventName: string, connectionId: string): Decision {
  return services.access.authorize({ protocol: 'telegraphy', action: 'subscribe', resource: eventName, principal, connectionId })
}

/** Those of `eventNames` that `principal` may not receive (any more). */
export async function deniedEvents (services: Services, principal: Principal | null, eventNames: string[], connectionId: string): Promise<Set<string>> {
  const allowed = await Promise.all(eventNames.map((name) => maySubscribe(services, principal, name, connectionId)))
  return new Set(eventNames.filter((_name, i) => !allowed[i]))
}
