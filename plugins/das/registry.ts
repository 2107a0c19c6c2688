import { eventMatches, insideBbox, patrolMatches } from './filters.js'
import { SharedPayload } from './event-encoding.js'
import type { Delivery } from './messages.js'
import type { DasSession } from './session.js'

type Json = Record<string, unknown>
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)

/** Deletions must reach every targeted socket whatever its bbox, so clients can drop stale items. */
const UNFILTERED = new Set(['delete_event', 'delete_patrol', 'delete_message', 'service_status', 'count_event'])

type SubjectDelivery = Extract<Delivery, { kind: 'subject' }>

/** Seed `subject_update`: `track` goes only to the users it names (all when it names none). */
const seesTrack = (session: DasSession, delivery: SubjectDelivery): boolean =>
  delivery.track !== undefined && (delivery.trackUsers === undefined || delivery.trackUsers.includes(session.user?.username ?? ''))

function subjectPayload (delivery: SubjectDelivery, withTrack: boolean): Json {
  const data: Json = { ...delivery.subject }
  if (withTrack) data.track = delivery.track
  return { type: 'subject_update', data }
}

// A delivery's subject payloads, encoded once per variant (without, with track) for all sockets.
const sharedSubjects = new WeakMap<Delivery, Array<SharedPayload | undefined>>()

/**
 * payloadFor, encoded once for every socket that gets the same payload: a seed
 * `subject_update` (the bulk of DAS traffic) is the same for every socket inside the bbox but
 * for `track`. Other deliveries are built per socket (their filters rewrite them).
 */
function sharedPayloadFor (session: DasSession, delivery: Delivery): Json | SharedPayload | null {
  if (delivery.kind !== 'subject') return payloadFor(session, delivery)
  if (!insideBbox(session.bbox, delivery.subject)) return null
  const variant = seesTrack(session, delivery) ? 1 : 0
  let variants = sharedSubjects.get(delivery)
  if (variants === undefined) sharedSubjects.set(delivery, variants = [])
  return (variants[variant] ??= new SharedPayload(subjectPayload(delivery, variant === 1)))
}

/**
 * The payload one socket gets for a delivery, or null when its bbox or filters exclude it
 * (§5.3, §5.7). Always a fresh object: `mid` and `trace_id` are added per socket.
 */
export function payloadFor (session: DasSession, delivery: Delivery): Json | null {
  if (delivery.kind === 'subject') {
    if (!insideBbox(session.bbox, delivery.subject)) return null
    return subjectPayload(delivery, seesTrack(session, delivery))
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
  const payload = session.writesShared ? sharedPayloadFor(session, delivery) : payloadFor(session, delivery)
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
