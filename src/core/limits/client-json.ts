import { jsonDepthExceeds } from './json-depth.js'

export type ClientJson =
  | { ok: true, value: unknown }
  | { ok: false, reason: 'too-deep' | 'invalid-json', message: string }

/**
 * A client frame's JSON, parsed only after its nesting is known to be within `maxDepth`: the one
 * entry point every protocol uses for text a client sent (design.md §5: depth is checked before
 * any recursive code sees the value). The caller turns a failure into its protocol's error reply.
 */
export function parseClientJson (text: string, maxDepth: number): ClientJson {
  if (jsonDepthExceeds(text, maxDepth)) {
    return { ok: false, reason: 'too-deep', message: `nested deeper than ${maxDepth} levels` }
  }
  try {
    return { ok: true, value: JSON.parse(text) }
  } catch (err) {
    return { ok: false, reason: 'invalid-json', message: (err as Error).message }
  }
}
