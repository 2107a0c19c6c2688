import type { Bbox, EventFilter, PatrolFilter } from './messages.js'

/** A point as [longitude, latitude]. */
export type Position = readonly [number, number]

/** Result of reading a client's bbox string: a box, "cleared", or why it is not a box. */
export type BboxParse = { ok: true, bbox: Bbox | null } | { ok: false, error: string }

/**
 * Parses `"west,south,east,north"` (§5.3). Upstream crashed on an empty value; here an empty
 * string or null clears the box (§5.8 item 9). West may exceed east: the box then crosses the
 * antimeridian.
 */
export function parseBbox (data: string | null): BboxParse {
  if (data === null || data.trim() === '') return { ok: true, bbox: null }
  const parts = data.split(',')
  if (parts.length !== 4) return { ok: false, error: 'bbox needs 4 numbers: west,south,east,north' }
  const numbers = parts.map((p) => (p.trim() === '' ? NaN : Number(p)))
  if (numbers.some((n) => !Number.isFinite(n))) return { ok: false, error: 'bbox values must be numbers' }
  const [west, south, east, north] = numbers
  if (Math.abs(west) > 180 || Math.abs(east) > 180) return { ok: false, error: 'longitudes must be within [-180, 180]' }
  if (Math.abs(south) > 90 || Math.abs(north) > 90 || south > north) return { ok: false, error: 'latitudes must be within [-90, 90] with south <= north' }
  return { ok: true, bbox: { west, south, east, north } }
}

export function bboxContains (bbox: Bbox, [lon, lat]: Position): boolean {
  if (lat < bbox.south || lat > bbox.north) return false
  return bbox.west <= bbox.east ? lon >= bbox.west && lon <= bbox.east : lon >= bbox.west || lon <= bbox.east
}

type Json = Record<string, unknown>
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)

function fromCoordinates (value: unknown): Position | null {
  if (!Array.isArray(value) || value.length < 2) return null
  const [lon, lat] = value
  return typeof lon === 'number' && typeof lat === 'number' && Number.isFinite(lon) && Number.isFinite(lat) ? [lon, lat] : null
}

function fromLocation (value: unknown): Position | null {
  if (!isObject(value)) return null
  const { longitude, latitude } = value
  return typeof longitude === 'number' && typeof latitude === 'number' ? [longitude, latitude] : null
}

function fromGeometry (value: unknown): Position | null {
  return isObject(value) ? fromCoordinates(value.coordinates) : null
}

/**
 * Where a payload is, in the shapes EarthRanger uses: a GeoJSON Feature or Point
 * (`subject_status`), a subject's `last_position` (a Feature) or `location`
 * ({latitude, longitude}), an event's `event_data.location`. Null when it has none.
 */
export function positionOf (data: Json): Position | null {
  return fromGeometry(data.geometry) ??
    (isObject(data.last_position) ? fromGeometry(data.last_position.geometry) ?? fromGeometry(data.last_position) : null) ??
    fromLocation(data.location) ??
    (isObject(data.event_data) ? fromLocation(data.event_data.location) : null) ??
    (data.type === 'Point' ? fromCoordinates(data.coordinates) : null)
}

/** False only when the socket has a bbox and the payload has a position outside it. */
export function insideBbox (bbox: Bbox | null, data: Json): boolean {
  if (!bbox) return true
  const position = positionOf(data)
  return position === null || bboxContains(bbox, position)
}

function listAllows (list: readonly unknown[] | undefined, value: unknown): boolean {
  return list === undefined || list.length === 0 || list.includes(value)
}

/**
 * `matches_current_filter` for one socket (§5.3, §5.7): upstream ran the saved filter as a
 * database query; here it is evaluated on the event itself — `text` (case-insensitive, in
 * title, event_type, serial_number, notes), `state`, and `filter.event_type`,
 * `filter.event_category`, `filter.priority`. Other filter keys are kept but not evaluated.
 */
export function eventMatches (filter: EventFilter | null, event: Json): boolean {
  if (!filter) return true
  if (filter.text) {
    const needle = filter.text.toLowerCase()
    const haystack = [event.title, event.event_type, event.serial_number, event.notes]
      .filter((v) => typeof v === 'string' || typeof v === 'number')
      .map((v) => String(v).toLowerCase())
    if (!haystack.some((v) => v.includes(needle))) return false
  }
  const category = isObject(event.event_category) ? event.event_category.value : event.event_category
  return listAllows(filter.state, event.state) &&
    listAllows(filter.filter?.event_type, event.event_type) &&
    listAllows(filter.filter?.event_category, category) &&
    listAllows(filter.filter?.priority, event.priority)
}

/** A patrol passes when the socket's `status` list is unset/empty or names the patrol's `state`. */
export function patrolMatches (filter: PatrolFilter | null, patrol: Json): boolean {
  return !filter || listAllows(filter.status, patrol.state)
}
