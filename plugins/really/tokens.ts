import { randomInt } from 'node:crypto'
import type { AccessClaims, Tokens } from '../../src/core/tokens/tokens.js'
import { parseR } from './resource-path.js'

/** Who a connection is (spec §4.4: UserInfo), as `initialized` and `opBy` carry it. */
export interface UserInfo {
  authType: string
  uid: string
  _r?: string
  data: Record<string, unknown>
}

/** What `initialize` learns from a token. */
export interface ReallyClaims {
  user: UserInfo
  /** ms since epoch; null = never expires (spec §4.10 item 6). */
  expires: number | null
  /** When it was issued (ms), for revocation checks; 0 when the token does not say. */
  issuedAt: number
  /**
   * Set when the token is a core access token (`POST /api/auth/login`, or one narrowed by
   * `POST /api/auth/tokens`): its claims, with the `roles` and `channels` the authorizer holds
   * the connection to, and the `jti` a token revocation names.
   */
  access?: AccessClaims
}

// Spec §4.10 item 14: the generator emits `password`, UserInfo accepted `anonymous`/`email`: take all three.
const AUTH_TYPES = new Set(['anonymous', 'email', 'password'])
const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * Really access tokens (spec §4.8): HS256 JWTs with `uid`, `authType`, `expires` (ms), `_r`,
 * `data`, plus `iatMs` (ours) so a user's removal revokes the tokens issued before it.
 */
export function issueReallyToken (tokens: Tokens, user: UserInfo, ttlMs: number, now = Date.now()): string {
  return tokens.signJwt({ ...user, expires: now + ttlMs, iatMs: now })
}

/** An anonymous uid: a random positive Long-sized decimal, as upstream generated ids. */
export function anonymousUid (): string {
  return `${randomInt(1, 9_000_000_000_000)}${randomInt(0, 1e6).toString().padStart(6, '0')}`
}

/**
 * Checks a token's signature and claims; `expired` is decided by the caller against the clock,
 * and so is revocation. A core access token is read as the password token of its user, so a
 * narrowed token reaches Really with its claims (README "Authorization").
 */
export function readReallyToken (tokens: Tokens, token: string): ReallyClaims | null {
  const claims = tokens.verifyJwt(token)
  if (!claims) return null
  const access = tokens.accessVerification.claimsOf(claims)
  if (access !== null) {
    const user: UserInfo = { authType: 'password', uid: access.username, data: { username: access.username } }
    return { user, expires: access.expiresAt, issuedAt: access.issuedAt, access }
  }
  const { uid, authType, expires, _r, data, iatMs } = claims
  if (typeof uid !== 'string' || uid === '' || typeof authType !== 'string' || !AUTH_TYPES.has(authType)) return null
  if (expires !== undefined && expires !== null && typeof expires !== 'number') return null
  if (data !== undefined && !isPlainObject(data)) return null
  if (_r !== undefined && !parseR(_r)?.isObject) return null
  const user: UserInfo = { authType, uid, data: (data as Record<string, unknown> | undefined) ?? {} }
  if (_r !== undefined) user._r = parseR(_r)!.text
  return {
    user,
    expires: typeof expires === 'number' && expires !== 0 ? expires : null,
    issuedAt: typeof iatMs === 'number' ? iatMs : typeof claims.iat === 'number' ? claims.iat * 1000 : 0,
  }
}

/** The core username a token speaks for (password users), or null for anonymous ones. */
export function usernameOf (user: UserInfo): string | null {
  return user.authType === 'anonymous' ? null : user.uid
}
