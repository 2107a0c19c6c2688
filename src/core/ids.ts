import { randomBytes, randomInt } from 'node:crypto'

const alphanumeric = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

/** URL-safe random identifier with `bytes` bytes of entropy. */
export function randomId (bytes = 16): string {
  return randomBytes(bytes).toString('base64url')
}

/** Random string over [A-Za-z0-9] (syscache tokens are 20 such characters, spec §1.7). */
export function randomAlphanumeric (length: number): string {
  let out = ''
  for (let i = 0; i < length; i++) out += alphanumeric[randomInt(alphanumeric.length)]
  return out
}
