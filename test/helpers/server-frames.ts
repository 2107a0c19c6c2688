import type { TSchema } from '@sinclair/typebox'
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler'
import { ServerEvents, type ServerEventName } from '../../plugins/das/messages.js'
import * as really from '../../plugins/really/messages.js'
import * as syscache from '../../plugins/syscache/messages.js'
import * as telegraphy from '../../plugins/telegraphy/messages.js'
import * as webrocket from '../../plugins/webrocket/messages.js'

/**
 * Every frame a test client receives is checked against its protocol's server schemas (the
 * `ServerFrame` union of each plugin's messages.ts, `ServerEvents` for DAS), so the schemas stay
 * what the server really sends: a frame that matches none fails the test that received it.
 */

/** A server → client frame schema set: the union the plugin exports, and its members by name. */
interface FrameSchemas { union: TSchema, members: Record<string, TSchema> }

const WS_PROTOCOLS = {
  syscache: { union: syscache.ServerFrame, members: syscache.ServerFrames },
  webrocket: { union: webrocket.ServerFrame, members: webrocket.ServerFrames },
  telegraphy: { union: telegraphy.ServerFrame, members: telegraphy.ServerFrames },
  really: { union: really.ServerFrame, members: really.ServerFrames },
} satisfies Record<string, FrameSchemas>

export type WsProtocol = keyof typeof WS_PROTOCOLS

/** Called with a description of each frame that matches no schema. */
export type Report = (problem: string) => void

/** What WsClient calls with the text of every frame it receives. */
export type FrameCheck = (text: string) => void

/** What DasClient calls with every event it receives: its name and arguments (an ack callback last, if any). */
export type EventCheck = (event: string, args: readonly unknown[]) => void

const compiled = new Map<TSchema, TypeCheck<TSchema>>()
function checker (schema: TSchema): TypeCheck<TSchema> {
  let check = compiled.get(schema)
  if (!check) compiled.set(schema, check = TypeCompiler.Compile(schema))
  return check
}

/** A value as JSON (text as it is), cut at `max` characters. */
const show = (value: unknown, max = 300): string => {
  const text = typeof value === 'string' ? value : JSON.stringify(value) ?? String(value)
  return text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text
}

/** The first few TypeBox errors of `value` against `schema`, as `path: message` (path `/` for the root). */
function errorsOf (schema: TSchema, value: unknown, limit = 3): string[] {
  const out: string[] = []
  for (const error of checker(schema).Errors(value)) {
    const got = error.value === undefined ? '' : ` (got ${show(JSON.stringify(error.value) ?? String(error.value), 80)})`
    out.push(`${error.path || '/'}: ${error.message}${got}`)
    if (out.length === limit) break
  }
  return out
}

/** The constant values a schema allows: a literal's, or a union of literals' (null for other schemas). */
function constants (schema: TSchema): unknown[] | null {
  if ('const' in schema) return [schema.const]
  const members = (schema as { anyOf?: TSchema[] }).anyOf
  if (!members?.every((m) => 'const' in m)) return null
  return members.map((m) => m.const)
}

/**
 * How close `value` comes to an object schema, smaller is closer: first how many of its keys the
 * schema does not declare (what a frame is, it says by its keys), then how many literal keys
 * (`name`, `evt`, `status`, `type`, …) it gets wrong, then how many errors it has.
 */
function distance (schema: TSchema, value: unknown): [number, number, number] {
  const properties = (schema as { properties?: Record<string, TSchema> }).properties ?? {}
  const record = (typeof value === 'object' && value !== null && !Array.isArray(value) ? value : {}) as Record<string, unknown>
  const unknownKeys = Object.keys(record).filter((key) => !Object.hasOwn(properties, key)).length
  let literalMisses = 0
  for (const [key, property] of Object.entries(properties)) {
    const allowed = constants(property)
    if (allowed && !allowed.includes(record[key])) literalMisses++
  }
  return [unknownKeys, literalMisses, [...checker(schema).Errors(value)].length]
}

const closer = (a: number[], b: number[]): boolean => {
  const i = a.findIndex((n, j) => n !== b[j])
  return i >= 0 && a[i] < b[i]
}

/**
 * Why `value` matches none of `schemas.members`: the member it comes closest to and that member's
 * errors. A union fails as a whole, which alone says nothing useful.
 */
function explain (schemas: FrameSchemas, value: unknown): string {
  let best: { name: string, schema: TSchema, distance: number[] } | null = null
  for (const [name, schema] of Object.entries(schemas.members)) {
    const d = distance(schema, value)
    if (best === null || closer(d, best.distance)) best = { name, schema, distance: d }
  }
  return best ? `closest schema "${best.name}": ${errorsOf(best.schema, value).join('; ')}` : errorsOf(schemas.union, value).join('; ')
}

/** Why a frame received on a `protocol` socket is not one of its server frames, or null if it is. */
export function frameProblem (protocol: WsProtocol, text: string): string | null {
  const where = `${protocol} server frame`
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return `${where} is not JSON: ${show(text)}`
  }
  const schemas: FrameSchemas = WS_PROTOCOLS[protocol]
  if (checker(schemas.union).Check(value)) return null
  return `${where} matches no schema of plugins/${protocol}/messages.ts ServerFrame — frame: ${show(text)} — ${explain(schemas, value)}`
}

/** Why an event received on the DAS namespace is not one the server sends, or null if it is. */
export function dasEventProblem (event: string, args: readonly unknown[]): string | null {
  const where = `das server event "${event}"`
  const schema = Object.hasOwn(ServerEvents, event) ? ServerEvents[event as ServerEventName] : undefined
  if (!schema) return `${where} is not an event of plugins/das/messages.ts ServerEvents (arguments: ${show(args.filter((a) => typeof a !== 'function'))})`
  // One object per event (§5.2); an ack callback, when the server asked for one, comes last.
  const payloads = args.filter((arg) => typeof arg !== 'function')
  if (payloads.length !== 1) return `${where} carries ${payloads.length} arguments, not 1: ${show(payloads)}`
  if (checker(schema).Check(payloads[0])) return null
  const members = (schema as { anyOf?: TSchema[] }).anyOf
  const detail = members
    ? explain({ union: schema, members: Object.fromEntries(members.map((m, i) => [`${event}[${i}]`, m])) }, payloads[0])
    : errorsOf(schema, payloads[0]).join('; ')
  return `${where} does not match plugins/das/messages.ts ServerEvents.${event} — payload: ${show(payloads[0])} — ${detail}`
}

/** A frame received that is not a server frame of its protocol. */
export class ServerFrameError extends Error {
  override name = 'ServerFrameError'
}

/**
 * The default report: throws the problem just after the client's event handler (not inside it,
 * where it would break the socket's parser) and before the test's code sees the frame. tap catches
 * it as an error of the test whose socket received the frame (tap's async-hook domains) and fails
 * that test, however the test itself handles its frames (test/server-frames.test.ts).
 */
export const failTest: Report = (problem) => {
  process.nextTick(() => { throw new ServerFrameError(problem) })
}

/** The check a WsClient of `protocol` runs on every frame it receives. */
export function serverFrames (protocol: WsProtocol, report: Report = failTest): FrameCheck {
  return (text) => {
    const problem = frameProblem(protocol, text)
    if (problem !== null) report(problem)
  }
}

/** The check a DasClient runs on every event it receives. */
export function dasEvents (report: Report = failTest): EventCheck {
  return (event, args) => {
    const problem = dasEventProblem(event, args)
    if (problem !== null) report(problem)
  }
}
