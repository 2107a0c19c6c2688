/**
 * Why a user's connections are being revoked: the user was removed or disabled, one of its
 * tokens was revoked, or its password changed (every earlier login is void).
 */
export type RevocationCause = 'user-revoked' | 'token-revoked' | 'password-changed'

/**
 * What a protocol declares a revocation means to its clients (a push then a close, a close with
 * its own code, a silent logout). Usually the session object itself, so an authenticated idle
 * connection costs no closure of its own.
 */
export interface Revocable {
  /**
   * The token this holder authenticated with, as a token revocation names it (an access token's
   * `jti`, a hash of an opaque token); absent or null when no token revocation can reach it.
   */
  readonly revocationToken?: string | null
  /** Applies the protocol's revocation policy. Called once per revocation; must not throw. */
  revoked (cause: RevocationCause): void
}
