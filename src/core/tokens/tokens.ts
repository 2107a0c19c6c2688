import { createSigner, createVerifier, TokenError } from 'fast-jwt'
import { ADMIN_ROLE } from '../access/vocabulary.js'
import { randomId } from '../ids.js'
import type { EphemeralStore } from '../state/store.js'
import { ACCESS_TOKEN_TYPE, accessClaimsOf, accessVerifierOptions, JWT_ALGORITHM, type AccessClaims, type AccessTokenVerification } from './access-verification.js'

export type { AccessClaims } from './access-verification.js'

export interface TokensOptions {
  secret: string
  accessTtlMs: number
  refreshTtlMs: number
  store: EphemeralStore
  /** Stamps what is issued and revoked; expiry is checked by fast-jwt on the real clock, as on REST. */
  now?: () => number
}

/** What a narrowed access token may do less than its user (src/core/access). */
export interface AccessNarrowing {
  roles?: readonly string[]
  channels?: readonly string[]
  /** Shorter than `auth.accessTokenTtl` (never longer). */
  ttlMs?: number
}

export interface IssuedAccess {
  token: string
  expiresIn: number
}

/** Result of checking a JWT signed with the shared secret. */
export type JwtCheck<T> = { ok: true, claims: T } | { ok: false, reason: 'invalid' | 'expired' }

const REFRESH = 'refresh:'
const REVOKED_JTI = 'revoked:jti:'
const REVOKED_USER = 'revoked:user:'

/**
 * Every token Switchboard issues. JWTs (HS256, fast-jwt) for access tokens (REST verifies them
 * with @fastify/jwt, the same engine, from `accessVerification`) and Really-format tokens;
 * opaque tokens in the EphemeralStore for refresh tokens, one-time tokens (taken atomically)
 * and sliding tokens (ttl restarted on use). Revocation is cluster-wide through the store.
 */
export class Tokens {
  readonly #store: EphemeralStore
  readonly #accessTtlMs: number
  readonly #refreshTtlMs: number
  readonly #now: () => number
  readonly #sign: (payload: Record<string, unknown>) => string
  readonly #verify: (token: string) => Record<string, unknown>
  readonly #verifyAccessJwt: (token: string) => Record<string, unknown>
  readonly #accessVerification: AccessTokenVerification

  constructor ({ secret, accessTtlMs, refreshTtlMs, store, now = Date.now }: TokensOptions) {
    this.#store = store
    this.#accessTtlMs = accessTtlMs
    this.#refreshTtlMs = refreshTtlMs
    this.#now = now
    this.#sign = createSigner({ key: secret, algorithm: JWT_ALGORITHM })
    // Signature only: the caller interprets the claims (Really's own `expires` claim, in ms).
    this.#verify = createVerifier({ key: secret, algorithms: [JWT_ALGORITHM], ignoreExpiration: true })
    this.#accessVerification = {
      verifier: accessVerifierOptions(secret),
      claimsOf: accessClaimsOf,
      isRevoked: (claims) => this.#isAccessRevoked(claims),
    }
    this.#verifyAccessJwt = createVerifier(this.#accessVerification.verifier)
  }

  /**
   * How access tokens are verified (secret included): `verifyAccess` runs it with fast-jwt, the
   * HTTP layer hands it to @fastify/jwt, so REST and sockets accept exactly the same tokens.
   */
  get accessVerification (): AccessTokenVerification {
    return this.#accessVerification
  }

  get accessTtlMs (): number {
    return this.#accessTtlMs
  }

  get refreshTtlMs (): number {
    return this.#refreshTtlMs
  }

  /** Signs arbitrary claims (used by protocols with their own token format). */
  signJwt (claims: Record<string, unknown>): string {
    return this.#sign(claims)
  }

  /** Verifies the signature only; the caller interprets the claims. */
  verifyJwt (token: string): Record<string, unknown> | null {
    try {
      return this.#verify(token)
    } catch {
      return null
    }
  }

  /**
   * An access token for `user`. With `narrowing` (POST /api/auth/tokens, `switchboard token`) it
   * carries `roles` and/or `channels` claims and may live shorter; the caller checked the roles
   * against the user's. It speaks for an admin only when its roles keep `admin`.
   */
  issueAccess (user: { username: string, admin: boolean }, narrowing: AccessNarrowing = {}): IssuedAccess {
    const now = this.#now()
    const ttlMs = Math.min(narrowing.ttlMs ?? this.#accessTtlMs, this.#accessTtlMs)
    const { roles, channels } = narrowing
    const token = this.#sign({
      sub: user.username,
      adm: user.admin && (roles === undefined || roles.includes(ADMIN_ROLE)),
      typ: ACCESS_TOKEN_TYPE,
      jti: randomId(12),
      iat: Math.floor(now / 1000),
      iatMs: now,
      exp: Math.floor((now + ttlMs) / 1000),
      ...(roles === undefined ? {} : { roles }),
      ...(channels === undefined ? {} : { channels }),
    })
    return { token, expiresIn: Math.round(ttlMs / 1000) }
  }

  /**
   * The claims of a valid, unexpired, unrevoked access token (the steps of `accessVerification`).
   * Expiry is fast-jwt's, on the real clock as on REST: `now` only stamps what is issued and revoked.
   */
  async verifyAccess (token: string): Promise<JwtCheck<AccessClaims>> {
    let payload: Record<string, unknown>
    try {
      payload = this.#verifyAccessJwt(token)
    } catch (err) {
      return { ok: false, reason: err instanceof TokenError && err.code === TokenError.codes.expired ? 'expired' : 'invalid' }
    }
    const claims = accessClaimsOf(payload)
    if (!claims || await this.#isAccessRevoked(claims)) return { ok: false, reason: 'invalid' }
    return { ok: true, claims }
  }

  async #isAccessRevoked (claims: AccessClaims): Promise<boolean> {
    if (await this.#store.get(REVOKED_JTI + claims.jti)) return true
    return this.isUserRevoked(claims.username, claims.issuedAt)
  }

  /** An opaque refresh token, good for one use within the refresh ttl. */
  async issueRefresh (username: string): Promise<string> {
    const token = randomId(32)
    await this.#store.set(REFRESH + token, JSON.stringify({ username, issuedAt: this.#now() }), this.#refreshTtlMs)
    return token
  }

  /** Consumes a refresh token: the username it was issued to, or null if unknown, used or expired. */
  async useRefresh (token: string): Promise<string | null> {
    const raw = await this.#store.take(REFRESH + token)
    if (!raw) return null
    const { username, issuedAt } = JSON.parse(raw) as { username: string, issuedAt: number }
    return await this.isUserRevoked(username, issuedAt) ? null : username
  }

  /**
   * RFC 7009: revokes a refresh token or an access token; unknown tokens are ignored. Answers the
   * user and `jti` of an unexpired access token it revoked (connections using it can be ended).
   */
  async revoke (token: string): Promise<{ username: string, jti: string } | null> {
    if (await this.#store.delete(REFRESH + token)) return null
    const claims = this.verifyJwt(token)
    if (claims?.typ === ACCESS_TOKEN_TYPE && typeof claims.exp === 'number' && typeof claims.sub === 'string') {
      const ttl = claims.exp * 1000 - this.#now()
      if (ttl <= 0) return null
      const jti = String(claims.jti)
      await this.#store.set(REVOKED_JTI + jti, '1', ttl)
      return { username: claims.sub, jti }
    }
    return null
  }

  /** Every token issued to `username` up to now stops working, on every node. */
  async revokeUser (username: string): Promise<void> {
    const ttl = Math.max(this.#accessTtlMs, this.#refreshTtlMs)
    await this.#store.set(REVOKED_USER + username, String(this.#now()), ttl)
  }

  /** True when the user's tokens issued at `issuedAtMs` were revoked afterwards. */
  async isUserRevoked (username: string, issuedAtMs: number): Promise<boolean> {
    const revokedAt = await this.#store.get(REVOKED_USER + username)
    return revokedAt !== null && !(issuedAtMs > Number(revokedAt))
  }

  /** A single-use token for `purpose` carrying `value`; `generate` shapes the token string. */
  async issueOneTime (purpose: string, value: string, ttlMs: number, generate: () => string = () => randomId(24)): Promise<string> {
    const token = generate()
    await this.#store.set(`once:${purpose}:${token}`, value, ttlMs)
    return token
  }

  /** The value of a one-time token; of many concurrent callers exactly one gets it. */
  takeOneTime (purpose: string, token: string): Promise<string | null> {
    return this.#store.take(`once:${purpose}:${token}`)
  }

  /** A token that stays valid while it keeps being used within `ttlMs` of its last use. */
  async issueSliding (purpose: string, value: string, ttlMs: number, generate: () => string = () => randomId(24)): Promise<string> {
    const token = generate()
    await this.#store.set(`sliding:${purpose}:${token}`, value, ttlMs)
    return token
  }

  /** Uses a sliding token: its value with the ttl restarted, or null if it expired or was revoked. */
  useSliding (purpose: string, token: string, ttlMs: number): Promise<string | null> {
    return this.#store.getAndTouch(`sliding:${purpose}:${token}`, ttlMs)
  }

  async revokeSliding (purpose: string, token: string): Promise<boolean> {
    return this.#store.delete(`sliding:${purpose}:${token}`)
  }
}
