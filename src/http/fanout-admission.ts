import type { preHandlerHookHandler } from 'fastify'
import { SwitchboardError } from '../core/errors.js'
import type { OutboundPressure } from '../core/limits/outbound-pressure.js'

/** What a refused publish is told to wait before it tries again. */
const RETRY_AFTER_MS = 1000

/**
 * The REST publish routes' side of the fan-out's admission control (issue 21): while this
 * node's sockets hold more than `server.backlogLimit` unread, a publish is refused with 503 and
 * Retry-After instead of adding to queues that already grow faster than clients read them.
 */
export function refuseWhileCongested (outbound: Pick<OutboundPressure, 'congested'>): preHandlerHookHandler {
  return async function fanoutAdmission () {
    if (outbound.congested) throw new SwitchboardError('BUSY', 'the fan-out is saturated; try again shortly', RETRY_AFTER_MS)
  }
}
