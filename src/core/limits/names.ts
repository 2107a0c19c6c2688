/** Longest channel, event, model or subscription name a client may use, in UTF-8 bytes. */
export const MAX_NAME_BYTES = 255

// C0 controls, DEL and C1 controls: invisible in logs and admin listings, and NUL ends strings
// in some stores and clients.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/

/**
 * Why `name` cannot name a channel, event, model or topic, or null when it can: at most
 * MAX_NAME_BYTES of UTF-8, well-formed (no lone surrogates, which have no UTF-8 form and would be
 * stored as U+FFFD, merging distinct names), no control characters.
 */
export function nameProblem (name: string, maxBytes = MAX_NAME_BYTES): string | null {
  if (name.length > maxBytes || Buffer.byteLength(name, 'utf8') > maxBytes) return `longer than ${maxBytes} bytes`
  if (!name.isWellFormed()) return 'not valid UTF-8 (lone surrogate)'
  if (CONTROL.test(name)) return 'contains control characters'
  return null
}
