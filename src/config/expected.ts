import type { TSchema } from '@sinclair/typebox'

/**
 * What a config key accepts, in words, for the keys whose TypeBox error says nothing useful
 * ("Expected union value"): a key's own `x-expected`, else the allowed values of an enum, else
 * its alternatives described one by one (`a string of at least 16 characters or null`).
 */
export function expectedOf (schema: TSchema): string {
  if (typeof schema['x-expected'] === 'string') return schema['x-expected']
  const members = (schema.anyOf ?? []) as TSchema[]
  if (members.length > 0 && members.every((m) => m.const !== undefined)) return `one of ${members.map((m) => String(m.const)).join(', ')}`
  if (members.length > 0) return members.map(expectedOf).join(' or ')
  if (schema.const !== undefined) return JSON.stringify(schema.const)
  switch (schema.type) {
    case 'null': return 'null'
    case 'boolean': return 'true or false'
    case 'string':
      if (schema.minLength !== undefined) return `a string of at least ${schema.minLength} characters`
      return schema.pattern === undefined ? 'a string' : `a string matching ${schema.pattern}`
    case 'integer':
      if (schema.minimum !== undefined && schema.maximum !== undefined) return `an integer from ${schema.minimum} to ${schema.maximum}`
      return schema.minimum === undefined ? 'an integer' : `an integer of at least ${schema.minimum}`
    case 'number': return 'a number'
    /* c8 ignore next 2 -- every union member of the schema is one of the kinds above */
    default: return 'a value of another kind'
  }
}
