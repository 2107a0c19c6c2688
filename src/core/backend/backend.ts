import { postSigned } from './signature.js'

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
  /**
   * Any other 4xx: the backend turned the request down for a reason of its own, which reaches the
   * client with the same status where the protocol has codes. `body`: the answer's JSON (its text
   * when not JSON), absent when empty.
   */
  | { kind: 'rejected', status: number, body?: unknown }

/** Told of every call made (not of `none`): its outcome (the reply's kind) and how long it took. */
export type BackendCallListener = (protocol: string, outcome: Exclude<BackendReply['kind'], 'none'>, ms: number) => void

export interface Backend {
  readonly configured: boolean
  call (request: BackendRequest): Promise<BackendReply>
}

/**
 * Forwards requests as JSON over HTTP POST, signed with `secret` when there is one
 * (signature.ts): 2xx with a JSON body is the result, 404 an unknown name, 403 a refusal, another
 * 4xx a rejection with its status; anything else, a timeout or no answer is a failure. Without a
 * URL every call answers `none` ("no worker" in the protocol's words).
 */
export function createBackend (url: string | null, timeoutMs: number, secret: string | null = null, onCall?: BackendCallListener): Backend {
  return {
    configured: url !== null,
    async call (request) {
      if (url === null) return { kind: 'none' }
      if (onCall === undefined) return forward(url, request, timeoutMs, secret)
      const started = performance.now()
      const reply = await forward(url, request, timeoutMs, secret)
      onCall(request.protocol, reply.kind as Exclude<BackendReply['kind'], 'none'>, performance.now() - started)
      return reply
    },
  }
}

async function forward (url: string, request: BackendRequest, timeoutMs: number, secret: string | null): Promise<BackendReply> {
  let response: Response
  try {
    response = await postSigned(url, request, secret, timeoutMs)
  } catch (err) {
    return { kind: 'failed', reason: (err as Error).name === 'TimeoutError' ? 'timeout' : 'unreachable' }
  }
  if (response.status === 404) return { kind: 'unknown' }
  if (response.status === 403) return { kind: 'refused' }
  if (response.status >= 400 && response.status < 500) return rejection(response)
  if (response.status < 200 || response.status >= 300) return { kind: 'failed', reason: `status ${response.status}` }
  try {
    const text = await response.text()
    return { kind: 'ok', result: text === '' ? null : JSON.parse(text) }
  } catch {
    return { kind: 'failed', reason: 'reply is not JSON' }
  }
}

async function rejection (response: Response): Promise<BackendReply> {
  const status = response.status
  let text: string
  try {
    text = await response.text()
  } catch {
    return { kind: 'rejected', status }
  }
  if (text === '') return { kind: 'rejected', status }
  try {
    return { kind: 'rejected', status, body: JSON.parse(text) }
  } catch {
    return { kind: 'rejected', status, body: text }
  }
}
