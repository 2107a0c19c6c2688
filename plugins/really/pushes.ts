import type { Frame } from '../../src/core/connection.js'
import type { HubMessage } from '../../src/core/hub/message.js'
import { project, type AppliedOp, type ObjectBody } from './models.js'
import type { UserInfo } from './tokens.js'

/**
 * Push frames (spec §4.5 "Server pushes"; never tagged). Hub messages of an object topic are
 * `{r, rev, evt: 'updated' | 'deleted', ops?, opBy}`, of a collection topic
 * `{r, evt: 'created', body, opBy}`. The full frame of a message is encoded once and shared by
 * every subscriber that wants all of it (design.md §4); only a subscriber whose field set drops
 * part of the message gets a frame of its own.
 */
export interface ObjectEvent { r: string, rev: number, evt: 'updated' | 'deleted', ops?: AppliedOp[], opBy: UserInfo }
export interface CreatedEvent { r: string, evt: 'created', body: ObjectBody, opBy: UserInfo }

/** `updated` body: `{field: {op, opValue, value}}` (upstream shape + the field's new value). */
function opsBody (ops: readonly AppliedOp[], fields: readonly string[]): Record<string, unknown> {
  const body: Record<string, unknown> = {}
  for (const { op, key, opValue, value } of ops) {
    if (fields.length === 0 || fields.includes(key)) body[key] = { op, opValue, value }
  }
  return body
}

export function objectPush (event: ObjectEvent, fields: readonly string[]): Record<string, unknown> | null {
  if (event.evt === 'deleted') return { r: event.r, rev: event.rev, evt: 'deleted', meta: { opBy: event.opBy } }
  const body = opsBody(event.ops ?? [], fields)
  if (Object.keys(body).length === 0) return null
  return { r: event.r, rev: event.rev, evt: 'updated', body, meta: { opBy: event.opBy } }
}

export function createdPush (event: CreatedEvent, fields: readonly string[]): Record<string, unknown> {
  const body = fields.length === 0 ? event.body : { ...project(event.body, fields), _r: event.body._r, _rev: event.body._rev }
  return { r: event.r, evt: 'created', body, meta: { opBy: event.opBy } }
}

const encodeObject = (message: HubMessage): Frame => Buffer.from(JSON.stringify(objectPush(message.data as ObjectEvent, [])))
const encodeCreated = (message: HubMessage): Frame => Buffer.from(JSON.stringify(createdPush(message.data as CreatedEvent, [])))

/** True when a field set keeps everything of an event, so the shared frame fits. */
function coversAll (event: ObjectEvent, fields: readonly string[]): boolean {
  if (fields.length === 0 || event.evt === 'deleted') return true
  for (const op of event.ops ?? []) if (!fields.includes(op.key)) return false
  return true
}

/** The frame a subscriber with `fields` gets for an object-topic message, or null for none. */
export function objectFrame (message: HubMessage, fields: readonly string[]): Frame | null {
  const event = message.data as ObjectEvent
  if (coversAll(event, fields)) return message.frame('really', encodeObject)
  const push = objectPush(event, fields)
  return push ? JSON.stringify(push) : null
}

/** The frame a collection subscriber with `fields` gets for a `created` message. */
export function createdFrame (message: HubMessage, fields: readonly string[]): Frame {
  if (fields.length === 0) return message.frame('really', encodeCreated)
  return JSON.stringify(createdPush(message.data as CreatedEvent, fields))
}
