const OPEN_OBJECT = 0x7b // {
const OPEN_ARRAY = 0x5b // [
const CLOSE_OBJECT = 0x7d // }
const CLOSE_ARRAY = 0x5d // ]
const QUOTE = 0x22
const BACKSLASH = 0x5c

/**
 * True when JSON text nests objects/arrays deeper than `max`, read from the text before anything
 * parses it: serialising, copying or validating a deep value recurses and overflows the stack
 * (issue 14). One pass over the characters, no allocation; brackets inside strings don't count.
 * Text that is not JSON is left to the parser to refuse.
 */
export function jsonDepthExceeds (text: string, max: number): boolean {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === BACKSLASH) i++
      else if (c === QUOTE) inString = false
    } else if (c === QUOTE) {
      inString = true
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (++depth > max) return true
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      depth--
    }
  }
  return false
}
