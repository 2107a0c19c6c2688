/**
 * What a one-time auth token (§3.7) stands for: the user, and the claims of the narrowed access
 * token it was issued with (`roles`, `channels`: README "Authorization"), so that the session it
 * opens may do no more than that token, and the `jti` of that access token (`tokenId`), so that
 * revoking it ends the session too (README "Authorization", live changes). Anonymous tokens stand
 * for nobody.
 */
export interface AuthGrant {
  username: string
  roles?: readonly string[]
  channels?: readonly string[]
  tokenId?: string
}

/** What the REST routes take from the caller's access token: its narrowing claims and its jti. */
export type Narrowing = Pick<AuthGrant, 'roles' | 'channels' | 'tokenId'>

/**
 * The one-time token's stored value: `''` anonymous, the bare username without claims (as before
 * claims existed), else JSON. No username starts with `{` (`users[].username` pattern), so the
 * two cannot be confused; a node that predates claims reads the JSON as an unknown user and
 * refuses the token (INVALID_TOKEN) rather than ignoring the claims.
 */
export function encodeGrant (username: string | undefined, narrowing: Narrowing = {}): string {
  if (username === undefined || username === '') return ''
  const { roles, channels, tokenId } = narrowing
  if (roles === undefined && channels === undefined && tokenId === undefined) return username
  return JSON.stringify({ username, roles, channels, tokenId })
}

/** The grant of a stored value; null for an anonymous token. Values are only ever written by encodeGrant. */
export function decodeGrant (value: string): AuthGrant | null {
  if (value === '') return null
  return value.startsWith('{') ? JSON.parse(value) as AuthGrant : { username: value }
}
