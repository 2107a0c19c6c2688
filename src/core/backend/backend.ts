/** What a protocol asks of its server-side application (design.md §2, Backend). */
export interface BackendRequest {
  protocol: string
  name: string
  data: unknown
  user: string | null
  connectionId: string
  vhost?: string
}

export type BackendReply =
  | { kind: 'ok', result: unknown }
  | { kind: 'unknown' }
  | { kind: 'refused' }
  | { kind: 'failed', reason: string }
  | { kind: 'none' }

export interface Backend {
  readonly configured: boolean
  call (request: BackendRequest): Promise<BackendReply>
}

/**
 * Forwards requests as JSON over HTTP POST: 2xx with a JSON body is the result, 404 an
 * unknown name, 403 a refusal; anything else, a timeout or no answer is a failure. Without a
 * URL every call answers `none` ("no worker" in the protocol's words).
 */
export function createBackend (url: string | null, timeoutMs: number): Backend {
  return {
    configured: url !== null,
    async call (request) {
      if (url === null) return { kind: 'none' }
      let response: Response
      try {
        response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(request),
          signal: AbortSignal.timeout(timeoutMs),
        })
      } catch (err) {
        return { kind: 'failed', reason: (err as Error).name === 'TimeoutError' ? 'timeout' : 'unreachable' }
      }
      if (response.status === 404) return { kind: 'unknown' }
      if (response.status === 403) return { kind: 'refused' }
      if (response.status < 200 || response.status >= 300) return { kind: 'failed', reason: `status ${response.status}` }
      try {
        const text = await response.text()
        return { kind: 'ok', result: text === '' ? null : JSON.parse(text) }
      } catch {
        return { kind: 'failed', reason: 'reply is not JSON' }
      }
    },
  }
}
