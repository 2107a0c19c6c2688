import fastifyJwt from '@fastify/jwt'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Services } from '../../core/services.js'
import type { AccessClaims } from '../../core/tokens/access-verification.js'

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: Record<string, unknown>
    /** `request.user` after `request.jwtVerify()`: the claims of a valid access token. */
    user: AccessClaims
  }
}

/** The token of an `Authorization: Bearer <token>` header (RFC 6750 §2.1: one or more spaces). */
function bearerToken (request: FastifyRequest): string | null {
  const header = request.headers.authorization
  if (!header) return null
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header)
  return match ? match[1] : null
}

/**
 * Registers @fastify/jwt (`request.jwtVerify()`) for REST bearer tokens, from the core's
 * `tokens.accessVerification` — the description `Tokens.verifyAccess` runs for sockets — so a
 * token is valid on REST exactly when it is valid on a socket: the same key (a random one when
 * `auth.jwtSecret` is unset lives only there), fast-jwt options, claim checks and revocation.
 * Verify-only (no private key): every token is issued by the core.
 */
export async function registerBearerVerification (app: FastifyInstance, services: Services): Promise<void> {
  const { verifier: { key, ...verify }, claimsOf, isRevoked } = services.tokens.accessVerification
  await app.register(fastifyJwt, {
    secret: { public: key },
    verify: { ...verify, extractToken: (request) => bearerToken(request) ?? undefined },
    // After the signature, as on sockets: not an access token, or revoked, is refused.
    trusted: async (_request, payload) => {
      const claims = claimsOf(payload)
      return claims !== null && !(await isRevoked(claims))
    },
    // `trusted` let only payloads with access claims through.
    formatUser: (payload) => claimsOf(payload) as AccessClaims,
  })
}

// @fastify/jwt's own refusals (FST_JWT_…) and fast-jwt's it passes through (FAST_JWT_…).
const isTokenRefusal = (err: unknown): boolean => {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' && (code.startsWith('FST_JWT_') || code.startsWith('FAST_JWT_'))
}

/**
 * The claims of the request's bearer token, or null when it is missing or refused for any reason
 * (malformed, bad signature or algorithm, expired, not an access token, revoked). Anything else
 * — the revocation store failing — is thrown, as on sockets, not taken for a wrong token.
 */
export async function verifiedBearer (request: FastifyRequest): Promise<AccessClaims | null> {
  try {
    return await request.jwtVerify<AccessClaims>()
  } catch (err) {
    if (isTokenRefusal(err)) return null
    throw err
  }
}
