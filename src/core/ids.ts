import { randomFillSync } from 'node:crypto'

const ALPHANUMERIC_CODES = Buffer.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', 'latin1')
// The largest multiple of 62 a byte can hold: bytes at or above it are drawn again, so every
// character is equally likely.
const UNBIASED = 256 - (256 % ALPHANUMERIC_CODES.length)

// Random bytes are drawn from the CSPRNG 4 KiB at a time: a call into it per token was a
// visible part of a login's cost (issue 8's connection rate). Each byte is handed out once.
const pool = Buffer.alloc(4096)
let used = pool.length

function randomBytes (count: number): Buffer {
  if (count > pool.length) return randomFillSync(Buffer.alloc(count))
  if (used + count > pool.length) {
    randomFillSync(pool)
    used = 0
  }
  used += count
  return pool.subarray(used - count, used)
}

/** URL-safe random identifier with `bytes` bytes of entropy. */
export function randomId (bytes = 16): string {
  return randomBytes(bytes).toString('base64url')
}

/** Random string over [A-Za-z0-9] (syscache tokens are 20 such characters, spec §1.7). */
export function randomAlphanumeric (length: number): string {
  // Characters go into bytes, read as one flat string at the end: appending to a string one
  // character at a time allocated a new string per character.
  const out = Buffer.allocUnsafe(length)
  let filled = 0
  while (filled < length) {
    const bytes = randomBytes(length - filled + 8)
    for (let i = 0; i < bytes.length && filled < length; i++) {
      if (bytes[i] < UNBIASED) out[filled++] = ALPHANUMERIC_CODES[bytes[i] % ALPHANUMERIC_CODES.length]
    }
  }
  return out.toString('latin1')
}

/**
 * Identifiers unique across processes without a random draw each: a random prefix per
 * generator, then a counter. For names that are not secrets (connection ids, handles).
 */
export function sequentialIds (prefix = randomId(6)): () => string {
  let next = 0
  return () => prefix + (next++).toString(36)
}
