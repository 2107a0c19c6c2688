/** A domain error with a stable code; the HTTP layer maps codes to status codes. */
export class SwitchboardError extends Error {
  constructor (
    readonly code: 'NOT_FOUND' | 'CONFLICT' | 'INVALID' | 'UNAUTHORIZED' | 'FORBIDDEN' | 'UNAVAILABLE' | 'THROTTLED' | 'BUSY',
    message: string,
    /** For THROTTLED and BUSY: when the client may try again (HTTP `Retry-After`). */
    readonly retryAfterMs?: number,
  ) {
    super(message)
    this.name = 'SwitchboardError'
  }
}
