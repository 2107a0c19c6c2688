import type { TSchema } from '@sinclair/typebox'

/**
 * A TypeBox schema as plain JSON Schema: TypeBox keeps its own markers (kind, optional) under
 * symbol keys, which JSON never carries, so a JSON round trip leaves exactly the JSON Schema.
 */
export function jsonSchema (schema: TSchema): Record<string, unknown> {
  return JSON.parse(JSON.stringify(schema)) as Record<string, unknown>
}
