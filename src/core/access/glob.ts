/** Whether a resource name matches a compiled pattern. */
export type Matcher = (resource: string) => boolean

/** Longest pattern a rule or a token claim may hold. */
export const MAX_GLOB_LENGTH = 1024

const STAR = -1
const GLOBSTAR = -2

/** Why `pattern` is not a resource pattern, or null. */
export function globProblem (pattern: string): string | null {
  if (pattern.length === 0) return 'an empty pattern matches nothing'
  if (pattern.length > MAX_GLOB_LENGTH) return `longer than ${MAX_GLOB_LENGTH} characters`
  if (/\*{3}/.test(pattern)) return 'three or more * in a row: write * (within one segment) or ** (across segments)'
  return null
}

/**
 * Compiles a resource pattern once: `*` matches any run of characters except `separator`
 * (within one segment), `**` any run at all (across segments); every other character stands
 * for itself. Patterns without stars compare strings, `prefix**` and `prefix*` compare
 * prefixes (the latter also looks for a separator past it), the rest run as an NFA over the
 * pattern's positions: time grows with pattern × resource length and never backtracks, so no
 * resource can make a match slow (a RegExp of `**a**a**b` could).
 */
export function compileGlob (pattern: string, separator: string): Matcher {
  const firstStar = pattern.indexOf('*')
  if (firstStar === -1) return (resource) => resource === pattern
  if (firstStar === pattern.length - 2 && pattern.endsWith('**')) {
    const prefix = pattern.slice(0, -2)
    return (resource) => resource.startsWith(prefix)
  }
  if (firstStar === pattern.length - 1) {
    const prefix = pattern.slice(0, -1)
    return (resource) => resource.startsWith(prefix) && !resource.includes(separator, prefix.length)
  }
  return positionsMatcher(tokenize(pattern), separator.charCodeAt(0))
}

// A char code per literal character, STAR or GLOBSTAR per wildcard.
function tokenize (pattern: string): Int32Array {
  const tokens: number[] = []
  for (let i = 0; i < pattern.length; i++) {
    if (pattern[i] !== '*') tokens.push(pattern.charCodeAt(i))
    else if (pattern[i + 1] === '*') {
      tokens.push(GLOBSTAR)
      i++
    } else tokens.push(STAR)
  }
  return Int32Array.from(tokens)
}

/**
 * Thompson's construction over the tokens: the set of pattern positions reachable after each
 * character. A wildcard position may match nothing, so reaching it reaches the next one too.
 * The position lists and the marks are reused from call to call (matching is synchronous).
 */
function positionsMatcher (tokens: Int32Array, separator: number): Matcher {
  const end = tokens.length
  let current = new Int32Array(end + 1)
  let next = new Int32Array(end + 1)
  // mark[p] === generation: p is already in the list being built.
  const mark = new Float64Array(end + 1)
  let generation = 0

  const add = (list: Int32Array, size: number, position: number): number => {
    for (;;) {
      if (mark[position] === generation) return size
      mark[position] = generation
      list[size++] = position
      if (position === end || tokens[position] >= 0) return size
      position++
    }
  }

  return (resource) => {
    generation++
    let size = add(current, 0, 0)
    for (let i = 0; i < resource.length && size > 0; i++) {
      const char = resource.charCodeAt(i)
      generation++
      let nextSize = 0
      for (let k = 0; k < size; k++) {
        const position = current[k]
        if (position === end) continue
        const token = tokens[position]
        if (token === GLOBSTAR || (token === STAR && char !== separator)) nextSize = add(next, nextSize, position)
        else if (token === char) nextSize = add(next, nextSize, position + 1)
      }
      const swap = current
      current = next
      next = swap
      size = nextSize
    }
    for (let k = 0; k < size; k++) if (current[k] === end) return true
    return false
  }
}
