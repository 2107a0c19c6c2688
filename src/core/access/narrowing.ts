import { SwitchboardError } from '../errors.js'
import type { User } from '../identity/identity.js'
import { effectiveRoles } from '../identity/roles.js'
import { channelClaimProblem, MAX_CHANNEL_CLAIMS } from './channel-claims.js'

/** What a narrowed token carries (`Tokens.issueAccess`'s narrowing). */
export interface Narrowing {
  roles?: string[]
  channels?: string[]
  ttlMs?: number
}

export interface NarrowingRequest {
  roles?: readonly string[]
  channels?: readonly string[]
  /** Lifetime in ms; at most `maxTtlMs`. */
  ttlMs?: number
}

/**
 * Checks what a service asks a narrowed token for `user` to carry (POST /api/auth/tokens, the
 * CLI): roles among the user's own (`admin` only for an admin), well-formed channel globs, a
 * lifetime within `auth.accessTokenTtl`. A claim can only narrow: INVALID names what would widen.
 */
export function checkNarrowing (user: User, request: NarrowingRequest, maxTtlMs: number): Narrowing {
  const narrowing: Narrowing = {}
  if (request.roles !== undefined) {
    const own = effectiveRoles(user.admin, user.roles)
    const extra = request.roles.find((role) => !own.includes(role))
    if (extra !== undefined) throw new SwitchboardError('INVALID', `role ${extra} is not one of ${user.username}'s roles`)
    narrowing.roles = [...new Set(request.roles)].sort()
  }
  if (request.channels !== undefined) {
    if (request.channels.length > MAX_CHANNEL_CLAIMS) throw new SwitchboardError('INVALID', `at most ${MAX_CHANNEL_CLAIMS} channels`)
    for (const channel of request.channels) {
      const problem = channelClaimProblem(channel)
      if (problem !== null) throw new SwitchboardError('INVALID', problem)
    }
    narrowing.channels = [...new Set(request.channels)]
  }
  if (request.ttlMs !== undefined) {
    if (request.ttlMs > maxTtlMs) throw new SwitchboardError('INVALID', `a token lives at most ${Math.floor(maxTtlMs / 1000)} s (auth.accessTokenTtl)`)
    narrowing.ttlMs = request.ttlMs
  }
  return narrowing
}
