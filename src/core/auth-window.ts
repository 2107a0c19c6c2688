/**
 * How long a connection may stay unauthenticated (syscache §1.6, DAS §5.5, and the optional
 * windows of WebRocket and Really): `expire` runs after `ms` unless the returned timer is
 * cleared first, on authentication or close. 0 means no window. The timer never holds the
 * process open. Each protocol says in `expire` how it closes (its own code and words).
 */
export function startAuthWindow (ms: number, expire: () => void): NodeJS.Timeout | undefined {
  if (ms <= 0) return undefined
  const timer = setTimeout(expire, ms)
  timer.unref()
  return timer
}

/**
 * The connection authenticated: its window is over. Assign the result to the field that held
 * the timer, so an authenticated connection does not keep the spent timer and the closure in
 * it for the rest of its life (~200 bytes per idle connection, issue 21).
 */
export function endAuthWindow (timer: NodeJS.Timeout | undefined): undefined {
  clearTimeout(timer)
  return undefined
}
