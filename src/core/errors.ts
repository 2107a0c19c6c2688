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

/**
 * Start-up (or a command) could not go on: `what` happened at `where` (a config key as a JSON
 * pointer, or a URL already stripped of its password). The CLI prints it as one line (issue 18).
 */
export class StartupFailure extends Error {
  constructor (readonly what: string, readonly where: string, options?: ErrorOptions) {
    super(`${what} (${where})`, options)
    this.name = 'StartupFailure'
  }
}

/** A URL fit for logs and error lines: its password (and any `password` parameter) left out. */
export function withoutPassword (url: string): string {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return url.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1@')
  }
  parsed.password = ''
  parsed.searchParams.delete('password')
  return parsed.toString()
}
