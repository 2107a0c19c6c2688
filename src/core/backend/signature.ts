import { createHmac, timingSafeEqual } from 'node:crypto'

export const TIMESTAMP_HEADER = 'x-switchboard-timestamp'
export const SIGNATURE_HEADER = 'x-switchboard-signature'

/**
 * Hex HMAC-SHA256 of `${timestamp}.${body}` with `backend.secret`: the timestamp is signed with
 * the body, so a backend that also refuses old timestamps cannot be sent a recorded call again.
 */
export function sign (secret: string, timestamp: string, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')
}

/** The headers that let a backend check that a call comes from Switchboard (README "Authorization"). */
export function signatureHeaders (secret: string, body: string, nowMs: number = Date.now()): Record<string, string> {
  const timestamp = String(Math.floor(nowMs / 1000))
  return { [TIMESTAMP_HEADER]: timestamp, [SIGNATURE_HEADER]: sign(secret, timestamp, body) }
}

/**
 * What a backend runs on a call: the signature matches the body and timestamp, and the timestamp
 * (seconds) is within `toleranceMs` of now. Constant time in the signature.
 */
export function verifySignature (secret: string, timestamp: string | undefined, body: string, signature: string | undefined, { nowMs = Date.now(), toleranceMs = 300_000 } = {}): boolean {
  if (timestamp === undefined || signature === undefined || !/^\d+$/.test(timestamp)) return false
  if (Math.abs(nowMs - Number(timestamp) * 1000) > toleranceMs) return false
  const expected = Buffer.from(sign(secret, timestamp, body), 'hex')
  const presented = Buffer.from(signature, 'hex')
  return presented.length === expected.length && timingSafeEqual(presented, expected)
}

/**
 * POSTs JSON to a backend, signed when a secret is configured (unsigned otherwise: `config
 * check` warns about that in production). Rejects on a timeout or no answer, as fetch does, and
 * when `abort` fires (a TimeoutError for the timeout, an AbortError for `abort`).
 */
export function postSigned (url: string, payload: unknown, secret: string | null, timeoutMs: number, abort?: AbortSignal): Promise<Response> {
  const body = JSON.stringify(payload)
  const timeout = AbortSignal.timeout(timeoutMs)
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(secret === null ? {} : signatureHeaders(secret, body)) },
    body,
    signal: abort === undefined ? timeout : AbortSignal.any([timeout, abort]),
  })
}
