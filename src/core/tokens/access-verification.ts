import type { Algorithm } from 'fast-jwt'

/** The one algorithm every JWT Switchboard issues is signed with, and the only one it accepts. */
export const JWT_ALGORITHM: Algorithm = 'HS256'

/** The `typ` claim that tells an access token from every other JWT signed with the same secret. */
export const ACCESS_TOKEN_TYPE = 'access'

/**
 * The claims an access token is issued with. fast-jwt rejects a token missing any of them;
 * without `exp` it would not check expiry at all, without `iatMs` user revocation could not
 * tell tokens issued before it from tokens issued after.
 */
const REQUIRED_CLAIMS = ['typ', 'sub', 'jti', 'exp', 'iatMs']

/** What a valid access token says. */
export interface AccessClaims {
  username: string
  admin: boolean
  jti: string
  /** Expiry, ms since epoch. */
  expiresAt: number
  /** When it was issued, ms since epoch (user revocation compares it). */
  issuedAt: number
  /** A narrowed token's roles: a subset of the user's, the only ones that count for it. */
  roles?: string[]
  /** A narrowed token's resource globs: the only resources it may reach. */
  channels?: string[]
}

/**
 * fast-jwt verifier options for access tokens, the key included: signature, the one algorithm
 * (so `alg: none` and any other algorithm are refused), the required claims and expiry with no
 * clock tolerance. Plain data, so the HTTP layer can hand it to @fastify/jwt unchanged.
 */
export interface AccessVerifierOptions {
  readonly key: string
  readonly algorithms: Algorithm[]
  readonly requiredClaims: string[]
  readonly clockTolerance: number
}

/**
 * How an access token is verified — once, for every place that takes one: sockets through
 * `Tokens.verifyAccess` (fast-jwt), REST through @fastify/jwt (src/http/auth/bearer-jwt.ts).
 * Both run the same three steps in the same order, so a token is valid on REST exactly when it
 * is valid on a socket:
 * 1. `verifier`: the fast-jwt options (signature, algorithm, required claims, expiry);
 * 2. `claimsOf`: what fast-jwt cannot check — the token type and the type of each claim;
 * 3. `isRevoked`: the token's jti revoked (RFC 7009), or its user revoked after it was issued.
 */
export interface AccessTokenVerification {
  readonly verifier: AccessVerifierOptions
  claimsOf (payload: Record<string, unknown>): AccessClaims | null
  isRevoked (claims: AccessClaims): Promise<boolean>
}

export function accessVerifierOptions (secret: string): AccessVerifierOptions {
  return { key: secret, algorithms: [JWT_ALGORITHM], requiredClaims: REQUIRED_CLAIMS, clockTolerance: 0 }
}

/** The claims of a verified payload, or null when it is not an access token (Really's, a forged `typ`…). */
export function accessClaimsOf (payload: Record<string, unknown>): AccessClaims | null {
  const { typ, sub, adm, jti, exp, iatMs, roles, channels } = payload
  if (typ !== ACCESS_TOKEN_TYPE || typeof sub !== 'string' || typeof jti !== 'string' || typeof exp !== 'number' || typeof iatMs !== 'number') return null
  // A narrowing claim that is not a list of strings cannot be honoured: the token is refused, not widened.
  if ((roles !== undefined && !isStringList(roles)) || (channels !== undefined && !isStringList(channels))) return null
  const claims: AccessClaims = { username: sub, admin: adm === true, jti, expiresAt: exp * 1000, issuedAt: iatMs }
  if (roles !== undefined) claims.roles = roles
  if (channels !== undefined) claims.channels = channels
  return claims
}

const isStringList = (value: unknown): value is string[] => Array.isArray(value) && value.every((item) => typeof item === 'string')
