import { eventMatches, insideBbox, patrolMatches } from './filters.js'
import type { Delivery } from './messages.js'
import type { DasSession } from './session.js'

type Json = Record<string, unknown>
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)

/** Deletions must reach every targeted socket whatever its bbox, so clients can drop stale items. */
const UNFILTERED = new Set(['delete_event', 'delete_patrol', 'delete_message', 'service_status', 'count_event'])

/**
 * The payload one socket gets for a delivery, or null when its bbox or filters exclude it
 * (§5.3, §5.7). Always a fresh object: `mid` and `trace_id` are added per socket.
 */
export function payloadFor (session: DasSession, delivery: Delivery): Json | null {
  if (delivery.kind === 'subject') {
    // Seed `subject_update`: bbox on the subject's last position; `track` only for authorised users.
    if (!insideBbox(session.bbox, delivery.subject)) return null
    const data: Json = { ...delivery.subject }
    const allowed = delivery.trackUsers === undefined || delivery.trackUsers.includes(session.user?.username ?? '')
    if (delivery.track !== undefined && allowed) data.track = delivery.track
    return { type: 'subject_update', data }
  }
  const { type, data } = delivery
  if (!UNFILTERED.has(type) && !insideBbox(session.bbox, data)) return null
  switch (type) {
    case 'new_event':
    case 'update_event': {
      const event = isObject(data.event_data) ? data.event_data : data
      return { type, ...data, matches_current_filter: eventMatches(session.eventFilter, event) }
    }
    case 'new_patrol':
    case 'update_patrol':
      return patrolMatches(session.patrolFilter, data) ? { type, ...data } : null
    case 'subject_update':
      // Through the generic emit the producer's data is the subject, verbatim (no track rules).
      return { type, data: { ...data } }
    default:
      // The producer's own `type` wins (subject_status is a GeoJSON Feature, §5.3).
      return { type, ...data }
  }
}

/** The event type a delivery goes out as: its resource for the access rules. */
export const typeOf = (delivery: Delivery): string => delivery.kind === 'subject' ? 'subject_update' : delivery.type

/**
 * Sends a delivery to one socket when the socket is one of its targets — authenticated, and the
 * socket (`sid`) or a socket of the user (`username`) it names, both given = that socket if it
 * is that user's — its access gate lets it through (README "Authorization") and its bbox and
 * filters do. True when sent now; a delivery waiting for the authorize hook's answer is decided
 * again once it came (after the deliveries of the same resources that were waiting before it).
 */
export function deliverTo (session: DasSession, delivery: Delivery): boolean {
  const { user, gate } = session
  if (user === null || session.closed) return false
  if (delivery.kind === 'emit') {
    if (delivery.sid !== undefined && delivery.sid !== session.id) return false
    if (delivery.username !== undefined && delivery.username !== user.username) return false
  }
  if (gate !== null) {
    const verdict = gate.admits(typeOf(delivery), delivery.subjectGroups)
    if (verdict !== true) {
      if (verdict !== false) void verdict.then(() => deliverTo(session, delivery))
      return false
    }
  }
  const payload = payloadFor(session, delivery)
  if (!payload) return false
  session.deliver(typeOf(delivery), payload)
  return true
}

/** This node's DAS sockets (the trace sweep walks them; tests inspect them). */
export class DasSessions {
  readonly #sessions = new Map<string, DasSession>()

  add (session: DasSession): void {
    this.#sessions.set(session.id, session)
  }

  remove (session: DasSession): void {
    if (this.#sessions.get(session.id) === session) this.#sessions.delete(session.id)
  }

  get (id: string): DasSession | undefined {
    return this.#sessions.get(id)
  }

  get size (): number {
    return this.#sessions.size
  }

  all (): IterableIterator<DasSession> {
    return this.#sessions.values()
  }
}
