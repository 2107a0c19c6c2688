export interface BackoffPolicy {
  minDelayMs: number
  maxDelayMs: number
}

/**
 * The wait before retry `retry` (1 = after the first failure): minDelay doubled per retry, at
 * most maxDelay, of which the upper half is random ("equal jitter"), so the nodes of a cluster
 * that lost the same receiver do not all come back at the same instant, yet none retries at once.
 */
export function backoffDelay (retry: number, { minDelayMs, maxDelayMs }: BackoffPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(maxDelayMs, minDelayMs * 2 ** Math.min(retry - 1, 30))
  return Math.round(ceiling / 2 + random() * ceiling / 2)
}
