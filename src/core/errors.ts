/** A domain error with a stable code; the HTTP layer maps codes to status codes. */
export class SwitchboardError extends Error {
  constructor (readonly code: 'NOT_FOUND' | 'CONFLICT' | 'INVALID' | 'UNAUTHORIZED' | 'FORBIDDEN' | 'UNAVAILABLE', message: string) {
    super(message)
    this.name = 'SwitchboardError'
  }
}
