import type { ReallyConfig } from '../../src/config/schema.js'
import { Errors, ReallyError, type CommandError } from './errors.js'
import { parseR } from './resource-path.js'

export type FieldType = 'string' | 'long' | 'double' | 'boolean'
export interface Field { type: FieldType, required?: boolean, default?: string | number | boolean }
export interface Model { path: string, fields: Record<string, Field> }
export type ObjectBody = Record<string, unknown>

/**
 * The collections of `really.models` (design.md §3, spec §4.9), keyed by their normalised model
 * path (`/users/` → `/users/*\/`, `/users/*\/posts/` → `/users/*\/posts/*\/`). Bad models fail
 * at registration, like any bad plugin option.
 */
export class Models {
  readonly #models = new Map<string, Model>()

  constructor (config: ReallyConfig['models']) {
    for (const [path, { fields }] of Object.entries(config)) {
      const r = parseR(path)
      if (!r || r.isObject) throw new Error(`protocols.really.models: ${path} is not a collection R`)
      for (const [name, field] of Object.entries(fields)) {
        if (name.startsWith('_')) throw new Error(`protocols.really.models${path}: field ${name} may not start with _`)
        if (field.default !== undefined && checkValue(field.type, field.default) !== null) {
          throw new Error(`protocols.really.models${path}: default of ${name} is not a ${field.type}`)
        }
      }
      // Without a prototype: a client's field name `constructor` or `toString` finds no field.
      this.#models.set(r.model, { path: r.model, fields: Object.assign(Object.create(null) as Record<string, Field>, fields) })
    }
  }

  get (modelPath: string): Model | undefined {
    return this.#models.get(modelPath)
  }
}

/** Null when `value` fits `type`, else the Play error key. */
export function checkValue (type: FieldType, value: unknown): string | null {
  switch (type) {
    case 'string': return typeof value === 'string' ? null : 'error.expected.jsstring'
    case 'boolean': return typeof value === 'boolean' ? null : 'error.expected.jsboolean'
    case 'double': return typeof value === 'number' && Number.isFinite(value) ? null : 'error.expected.jsnumber'
    case 'long': return Number.isSafeInteger(value) ? null : 'error.expected.jslong'
  }
}

type Errs = NonNullable<CommandError['errors']>
const add = (errors: Errs, key: string, msg: string) => { (errors[`obj.${key}`] ??= []).push({ msg, args: [] }) }

/** A new object's fields: defaults applied, types and `required` checked, unknown fields refused. */
export function validateNew (model: Model, body: ObjectBody, r: string): ObjectBody {
  const errors: Errs = {}
  const out: ObjectBody = {}
  for (const [key, value] of Object.entries(body)) {
    if (key === '_r' || key === '_rev') continue
    const field = model.fields[key]
    if (!field) { add(errors, key, 'error.unknown.field'); continue }
    if (value === null) continue
    const problem = checkValue(field.type, value)
    if (problem) add(errors, key, problem)
    else out[key] = value
  }
  for (const [key, field] of Object.entries(model.fields)) {
    if (out[key] === undefined && field.default !== undefined) out[key] = field.default
    if (out[key] === undefined && field.required && !errors[`obj.${key}`]) add(errors, key, 'error.required')
  }
  if (Object.keys(errors).length > 0) throw new ReallyError(Errors.modelValidationFailed(errors), r)
  return out
}

export interface Op { op: 'set' | 'addNumber', key: string, value: unknown }
/** An applied op as the change log and the `updated` push carry it. */
export interface AppliedOp { op: string, key: string, opValue: unknown, value: unknown }

/** Applies `set`/`addNumber` ops (spec §4.10 item 12) to a copy of `body`; model errors throw. */
export function applyOps (model: Model, body: ObjectBody, ops: Op[], r: string): { body: ObjectBody, applied: AppliedOp[] } {
  const errors: Errs = {}
  const next: ObjectBody = { ...body }
  const applied: AppliedOp[] = []
  for (const { op, key, value } of ops) {
    const field = model.fields[key]
    if (!field) { add(errors, key, 'error.unknown.field'); continue }
    if (op === 'set') {
      if (value === null) {
        if (field.required) { add(errors, key, 'error.required'); continue }
        delete next[key]
      } else {
        const problem = checkValue(field.type, value)
        if (problem) { add(errors, key, problem); continue }
        next[key] = value
      }
    } else {
      if (field.type !== 'long' && field.type !== 'double') { add(errors, key, 'error.expected.number.field'); continue }
      const problem = checkValue(field.type, value)
      if (problem) { add(errors, key, problem); continue }
      const sum = (typeof next[key] === 'number' ? next[key] as number : 0) + (value as number)
      if (field.type === 'long' && !Number.isSafeInteger(sum)) { add(errors, key, 'error.overflow'); continue }
      next[key] = sum
    }
    applied.push({ op, key, opValue: value, value: next[key] ?? null })
  }
  if (Object.keys(errors).length > 0) throw new ReallyError(Errors.modelValidationFailed(errors), r)
  return { body: next, applied }
}

/** Only `fields` of `body` (all of them when `fields` is empty). */
export function project (body: ObjectBody, fields: readonly string[]): ObjectBody {
  if (fields.length === 0) return body
  const out: ObjectBody = {}
  for (const f of fields) if (body[f] !== undefined) out[f] = body[f]
  return out
}
