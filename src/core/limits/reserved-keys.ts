/**
 * Property names of every plain object (`__proto__`, `constructor`, `toString`, `hasOwnProperty`,
 * …) plus `prototype`. A client that stores one of these as a field name poisons code that reads
 * objects with `obj[key]` (a `toString` field breaks string conversion; `__proto__` swaps the
 * prototype of a copy made with assignment).
 */
export const RESERVED_KEYS: ReadonlySet<string> = new Set([
  ...Object.getOwnPropertyNames(Object.prototype),
  'prototype',
])

/**
 * The first reserved key found anywhere in `value` (own keys of every nested object), or null.
 * Walked with an explicit stack; check depth first (valueDepthExceeds / jsonDepthExceeds) so the
 * walk is bounded by the depth limit too.
 */
export function findReservedKey (value: unknown): string | null {
  if (typeof value !== 'object' || value === null) return null
  const stack: unknown[] = [value]
  while (stack.length > 0) {
    const current = stack.pop() as object
    if (Array.isArray(current)) {
      for (const child of current) if (typeof child === 'object' && child !== null) stack.push(child)
      continue
    }
    for (const key of Object.keys(current)) {
      if (RESERVED_KEYS.has(key)) return key
      const child = (current as Record<string, unknown>)[key]
      if (typeof child === 'object' && child !== null) stack.push(child)
    }
  }
  return null
}
