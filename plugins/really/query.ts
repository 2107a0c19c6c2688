import { Errors, flatError, ReallyError } from './errors.js'
import type { Model, ObjectBody } from './models.js'

/**
 * The `read` query filter (spec §4.5): conditions `FIELD OP VALUE` joined by `and`, OP one of
 * `= != < <= > >=`, VALUE a `$name` looked up in `values`, or a literal (number, 'text' or
 * "text", true, false). Parsed once per request into predicates; bad filters are 409
 * `validation.failed`.
 */
export type Operator = '=' | '!=' | '<' | '<=' | '>' | '>='
export interface Condition { field: string, op: Operator, value: string | number | boolean }

const TOKEN = /\s*(?:(\$[A-Za-z_][A-Za-z0-9_]*)|([A-Za-z_][A-Za-z0-9_]*)|(!=|<=|>=|=|<|>)|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|'([^']*)'|"([^"]*)")\s*/y

type Token = { kind: 'var' | 'word' | 'op' | 'literal', text: string, value?: string | number | boolean }

function tokenize (filter: string): Token[] | null {
  const tokens: Token[] = []
  TOKEN.lastIndex = 0
  while (TOKEN.lastIndex < filter.length) {
    const start = TOKEN.lastIndex
    const m = TOKEN.exec(filter)
    if (!m || TOKEN.lastIndex === start) return filter.slice(start).trim() === '' ? tokens : null
    if (m[1]) tokens.push({ kind: 'var', text: m[1].slice(1) })
    else if (m[2]) {
      const w = m[2]
      if (w === 'true' || w === 'false') tokens.push({ kind: 'literal', text: w, value: w === 'true' })
      else tokens.push({ kind: 'word', text: w })
    } else if (m[3]) tokens.push({ kind: 'op', text: m[3] })
    else if (m[4]) tokens.push({ kind: 'literal', text: m[4], value: Number(m[4]) })
    else tokens.push({ kind: 'literal', text: m[5] ?? m[6], value: m[5] ?? m[6] })
  }
  return tokens
}

const fail = (msg: string, ...args: unknown[]): never => {
  throw new ReallyError(Errors.validationFailed(flatError('obj.cmdOpts.query.filter', msg, ...args)))
}

/** Parses `filter` with `values` against `model`; every field must be a model field. */
export function parseFilter (filter: string, values: Record<string, unknown>, model: Model): Condition[] {
  if (filter.trim() === '') return []
  const tokens = tokenize(filter) ?? fail('error.filter.syntax')
  const conditions: Condition[] = []
  let i = 0
  for (;;) {
    const field = tokens[i]; const op = tokens[i + 1]; const operand = tokens[i + 2]
    if (field?.kind !== 'word' || op?.kind !== 'op' || !operand || (operand.kind !== 'var' && operand.kind !== 'literal')) fail('error.filter.syntax')
    if (!model.fields[field.text]) fail('error.filter.unknown.field', field.text)
    let value: unknown = operand.value
    if (operand.kind === 'var') {
      if (!Object.hasOwn(values, operand.text)) fail('error.filter.missing.value', operand.text)
      value = values[operand.text]
    }
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') fail('error.filter.value', operand.text)
    conditions.push({ field: field.text, op: op.text as Operator, value: value as string | number | boolean })
    i += 3
    if (i === tokens.length) return conditions
    if (tokens[i].kind !== 'word' || tokens[i].text.toLowerCase() !== 'and') fail('error.filter.syntax')
    i++
  }
}

/** True when `body` satisfies every condition; a missing field or a type mismatch only satisfies `!=`. */
export function matches (body: ObjectBody, conditions: readonly Condition[]): boolean {
  for (const { field, op, value } of conditions) {
    const actual = body[field]
    if (op === '=') { if (actual !== value) return false; continue }
    if (op === '!=') { if (actual === value) return false; continue }
    if (typeof actual !== typeof value || typeof actual === 'boolean') return false
    const a = actual as number | string; const b = value as number | string
    if (!(op === '<' ? a < b : op === '<=' ? a <= b : op === '>' ? a > b : a >= b)) return false
  }
  return true
}
