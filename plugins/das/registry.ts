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

/** This node's DAS sockets, and the authenticated ones by username. */
export class SessionRegistry {
  readonly #sessions = new Map<string, DasSession>()
  readonly #byUser = new Map<string, Set<DasSession>>()
  readonly #authenticated = new Set<DasSession>()

  add (session: DasSession): void {
    this.#sessions.set(session.id, session)
  }

  /** Indexes a session once it authenticated. */
  authenticated (session: DasSession): void {
    if (!session.user || !this.#sessions.has(session.id)) return
    this.#authenticated.add(session)
    let set = this.#byUser.get(session.user.username)
    if (!set) this.#byUser.set(session.user.username, set = new Set())
    set.add(session)
  }

  remove (session: DasSession): void {
    this.#sessions.delete(session.id)
    this.#authenticated.delete(session)
    if (!session.user) return
    const set = this.#byUser.get(session.user.username)
    set?.delete(session)
    if (set?.size === 0) this.#byUser.delete(session.user.username)
  }

  get size (): number {
    return this.#sessions.size
  }

  all (): IterableIterator<DasSession> {
    return this.#sessions.values()
  }

  ofUser (username: string): ReadonlySet<DasSession> {
    return this.#byUser.get(username) ?? new Set()
  }

  /** The local authenticated sessions a delivery is addressed to (sid and username intersect). */
  * targets (delivery: Delivery): Generator<DasSession> {
    if (delivery.kind === 'emit' && delivery.sid !== undefined) {
      const session = this.#sessions.get(delivery.sid)
      if (session && this.#authenticated.has(session) && (delivery.username === undefined || session.user?.username === delivery.username)) yield session
      return
    }
    if (delivery.kind === 'emit' && delivery.username !== undefined) {
      yield * this.ofUser(delivery.username)
      return
    }
    yield * this.#authenticated
  }

  /** Delivers to every local target; returns how many sockets got it. */
  deliver (delivery: Delivery): number {
    let count = 0
    const type = delivery.kind === 'subject' ? 'subject_update' : delivery.type
    for (const session of this.targets(delivery)) {
      if (session.closed) continue
      const payload = payloadFor(session, delivery)
      if (!payload) continue
      session.deliver(type, payload)
      count++
    }
    return count
  }
}
