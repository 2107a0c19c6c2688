import type { HubMessage } from '../../src/core/hub/message.js'
import type { EventMeta } from './messages.js'

// The hub payload of one event is the EVENT frame (§3.4) with the event id spliced in front:
//   {"sid":"<node>:<seq>","event":…,"name":…,"meta":…,"data":…}
// so the wire frame is a slice of the payload (no re-encoding per node, none per subscriber),
// and the id (unique in the cluster, increasing per publishing node) can be read without
// parsing. The id lets a RECONNECT drop events it got both from the old node and live.

const PREFIX = '{"sid":"'

const TOPIC_PREFIX = 'telegraphy:'

/** Topic of an event name (design.md §2: topics are namespaced by protocol). */
export function eventTopic (name: string): string {
  return TOPIC_PREFIX + name
}

/** True when `topic` is `eventTopic(name)`, without building that string (once per delivery). */
export function isEventTopic (topic: string, name: string): boolean {
  return topic.length === TOPIC_PREFIX.length + name.length && topic.endsWith(name) && topic.startsWith(TOPIC_PREFIX)
}

/** The hub payload for an event; `id` must not contain `"` (node ids are base64url). */
export function encodeEventPayload (id: string, name: string, meta: EventMeta, data: unknown): string {
  return `${PREFIX}${id}",${JSON.stringify({ event: name, name, meta, data }).slice(1)}`
}

/** The event id of a payload. */
export function eventIdOf (payload: string): string {
  return payload.slice(PREFIX.length, payload.indexOf('"', PREFIX.length))
}

/** The event name of a payload (parsed: only for the few events a RECONNECT must hold back). */
export function eventNameOf (payload: string): string {
  return (JSON.parse(payload) as { event: string }).event
}

/** The EVENT frame text of a payload. */
export function frameOf (payload: string): string {
  return `{${payload.slice(payload.indexOf('",', PREFIX.length) + 2)}`
}

/** Module-level encoder for `message.frame('telegraphy', …)`: once per message, shared by all. */
export function encodeEventFrame (message: HubMessage): Buffer {
  return Buffer.from(frameOf(message.raw), 'utf8')
}

/** The `data` of a hub event message (parsed once per message by the hub). */
export function eventDataOf (message: HubMessage): unknown {
  return (message.data as { data?: unknown }).data
}

/** §3.8 default matching: every key of `filters` equals the same key of the event data. */
export function filtersMatch (filters: Record<string, unknown>, data: unknown): boolean {
  if (typeof data !== 'object' || data === null) return false
  const record = data as Record<string, unknown>
  for (const key in filters) {
    if (!Object.prototype.hasOwnProperty.call(record, key) || !deepEqual(filters[key], record[key])) return false
  }
  return true
}

export function deepEqual (a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  if (Array.isArray(a) !== Array.isArray(b)) return false
  const ka = Object.keys(a)
  const kb = Object.keys(b)
  if (ka.length !== kb.length) return false
  for (const k of ka) {
    if (!Object.prototype.hasOwnProperty.call(b, k)) return false
    if (!deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false
  }
  return true
}

/** `%Y-%m-%dT%H:%M:%S.%fZ` as the upstream web-app side wrote it (§3.8): microseconds, UTC. */
export function eventTimestamp (date: Date = new Date()): string {
  return `${date.toISOString().slice(0, -1)}000Z`
}
