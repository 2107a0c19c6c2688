import type { Principal } from '../connection.js'

/** What a user was authenticated with: an access token's claims, or what a protocol kept of them. */
export interface UserGrant {
  username: string
  admin: boolean
  roles?: readonly string[]
  channels?: readonly string[]
  /** See Principal's `tokenId`. */
  tokenId?: string
}

/**
 * The principal of a user authenticated with `grant`. A narrowed token's `roles` and `channels`
 * claims go with it — dropping them would give the connection all that the user may do — and
 * absent claims stay absent (no claim is not an empty claim).
 */
export function userPrincipal ({ username, admin, roles, channels, tokenId }: UserGrant): Principal {
  const principal: Principal = { kind: 'user', username, admin }
  if (roles !== undefined) principal.roles = roles
  if (channels !== undefined) principal.channels = channels
  if (tokenId !== undefined) principal.tokenId = tokenId
  return principal
}

/** The access token a principal's credential stands for (Principal's `tokenId`), or null. */
export function tokenIdOf (principal: Principal | null): string | null {
  return principal?.kind === 'user' ? principal.tokenId ?? null : null
}
