// Socket errors of a connection that cannot be made or was lost.
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'EAI_AGAIN'])
// SQLSTATE: class 08 (connection exception), 57P01–57P03 (the server shutting down or starting).
const SERVER_STATES = /^(08...|57P0[123])$/

/**
 * True when a database error says the server cannot be reached (rather than that the query
 * was wrong): such a failure is an outage, answered 503 and logged once (DependencyHealth).
 */
export function isDatabaseUnavailable (err: unknown): err is Error {
  if (!(err instanceof Error)) return false
  const code = (err as { code?: unknown }).code
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || SERVER_STATES.test(code))) return true
  return /^Connection terminated|^timeout exceeded when trying to connect/.test(err.message)
}
